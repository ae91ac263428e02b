/**
 * `deno task drill <name>`: runs an in-repo drill against a real service —
 * slow, outside the test suite. Drills live in tests/drills/<name>.ts and
 * export `main(): Promise<number>` (the exit code).
 */
const DRILLS: Record<string, () => Promise<{ main(): Promise<number> }>> = {
  security: () => import("../tests/drills/security.ts"),
};

const name = Deno.args[0] ?? "";
const load = DRILLS[name];
if (!load) {
  console.error(
    `Usage: deno task drill <name>; drills: ${Object.keys(DRILLS).join(", ")}`,
  );
  Deno.exit(2);
}
Deno.exit(await (await load()).main());
