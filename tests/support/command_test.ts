import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { runCommand } from "./command.ts";

Deno.test("runCommand() returns stdout, runs in cwd with the added variables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_command_" });
  try {
    assertEquals(
      await runCommand("sh", ["-c", 'pwd; echo "$AOS_X"'], {
        cwd: dir,
        env: { AOS_X: "added" },
      }),
      `${await Deno.realPath(dir)}\nadded\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCommand() throws naming the command line and its stderr", async () => {
  await rejects(
    runCommand("sh", ["-c", "echo broken >&2; exit 3"]),
    { message: "sh -c echo broken >&2; exit 3 failed: broken\n" },
  );
});
