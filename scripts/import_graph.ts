/**
 * Checks the project's import graph from `deno info --json`: no cycle
 * anywhere, nothing imports upward through the layers of DESIGN §2
 * (runtime ← lib ← actors ← routes/cli ← main), and each folder of runtime/
 * and lib/ is reached from outside only through its `mod.ts` (test code also
 * through its `testing.ts`). Run: `deno task imports`.
 */
import { relative } from "node:path";

/** A module and the local modules it imports (paths relative to the root). */
export type ImportGraph = Map<string, string[]>;

/** Layer rank of a top-level folder; a module may import only its own rank or lower. */
const LAYERS: Record<string, number> = {
  runtime: 0,
  lib: 1,
  actors: 2,
  routes: 3,
  cli: 3,
  "main.ts": 4,
};

/** Reads the local import graph of `modules` with one `deno info --json`. */
export async function readImportGraph(
  root: string,
  modules: string[],
): Promise<ImportGraph> {
  // One entry module importing every root keeps it to one `deno info` call.
  const dir = await Deno.makeTempDir({ prefix: "aos-imports-" });
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(
      entry,
      modules.map((m) => `import ${JSON.stringify(`file://${root}/${m}`)};`)
        .join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `deno info failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: {
          code?: { specifier: string };
          type?: { specifier: string };
        }[];
      }[];
    };
    const graph: ImportGraph = new Map();
    for (const module of info.modules) {
      const from = localPath(root, module.specifier);
      if (from === null) continue;
      // Type-only imports count: a cycle of types is still a cycle of modules.
      const to = (module.dependencies ?? []).flatMap((d) =>
        [d.code, d.type].flatMap((dep) => {
          const path = dep ? localPath(root, dep.specifier) : null;
          return path === null ? [] : [path];
        })
      );
      graph.set(from, to);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function localPath(root: string, specifier: string): string | null {
  if (!specifier.startsWith("file://")) return null;
  const path = relative(root, new URL(specifier).pathname);
  return path.startsWith("..") ? null : path;
}

/** Every import cycle, each as the list of modules around it (first repeated last). */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") {
        cycles.push([...stack.slice(stack.indexOf(next)), next]);
      } else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) visit(node);
  }
  return cycles;
}

/** Imports that go up a layer, as `from -> to`. Test files and tests/ are exempt. */
export function findUpwardImports(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [from, tos] of graph) {
    if (from.endsWith("_test.ts") || from.startsWith("tests/")) continue;
    const rankFrom = rankOf(from);
    if (rankFrom === null) continue;
    for (const to of tos) {
      const rankTo = rankOf(to);
      if (rankTo !== null && rankTo > rankFrom) {
        problems.push(`${from} -> ${to}`);
      }
    }
  }
  return problems.sort();
}

function rankOf(path: string): number | null {
  return LAYERS[path.split("/")[0]!] ?? null;
}

/**
 * Imports from outside a folder that reach past its `mod.ts`, each with why
 * (`from` is the importing folder or module, `to` the module reached).
 */
export const DEEP_IMPORTS: { from: string; to: string; why: string }[] = [
  {
    from: "lib/store/",
    to: "lib/factory/shapes.ts",
    why: "factory's tables are built on the store's run shapes, so through " +
      "factory's mod.ts the store would import itself",
  },
  {
    from: "lib/store/",
    to: "lib/factory/stored_value.ts",
    why: "as above, for the error a stored value that does not parse raises",
  },
  {
    from: "lib/factory/",
    to: "lib/store/types.ts",
    why: "the event and artifact tables need the run shapes only; store's " +
      "mod.ts would load the KV store and the runtime into every reader of " +
      "a shape, the CLI among them",
  },
  {
    from: "lib/work_order/",
    to: "lib/factory/stored_value.ts",
    why: "the stored work order needs only the error; factory's mod.ts " +
      "would load the artifact store, and the KV store with it, into the CLI",
  },
  {
    from: "cli/",
    to: "lib/store/types.ts",
    why: "the CLI speaks HTTP only: it takes the run shapes without the KV " +
      "store and the runtime behind store's mod.ts",
  },
  {
    from: "cli/",
    to: "lib/factory/events.ts",
    why: "as above, for the event table",
  },
];

/** The folder whose `mod.ts` is its way in: `runtime` or `lib/<name>`; null for anything else. */
function surfaceFolder(path: string): string | null {
  const parts = path.split("/");
  if (parts[0] === "runtime") return "runtime";
  return parts[0] === "lib" && parts.length > 2 ? `lib/${parts[1]}` : null;
}

/** Tests, test helpers, benchmarks and the demos: code that may use test helpers. */
function isTestCode(path: string): boolean {
  return path.endsWith("_test.ts") || path.endsWith("/testing.ts") ||
    ["tests/", "bench/", "examples/"].some((dir) => path.startsWith(dir));
}

/**
 * Imports past a folder's public surface, as `from -> to`: from outside a
 * folder of runtime/ or lib/ anything but its `mod.ts` (or, from test code,
 * its `testing.ts`); a test helper (`testing.ts`, `tests/`) imported by
 * product code (runtime, lib, actors, routes, cli, main); a `testing.ts`
 * importing from `tests/`.
 */
export function findSurfaceBreaches(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of new Set(tos)) {
      const helper = to.endsWith("/testing.ts") || to.startsWith("tests/");
      const folder = surfaceFolder(to);
      const outside = folder !== null && !from.startsWith(`${folder}/`);
      const allowed = to === `${folder}/mod.ts` ||
        (to === `${folder}/testing.ts` && isTestCode(from)) ||
        DEEP_IMPORTS.some((e) => from.startsWith(e.from) && to === e.to);
      if (
        (outside && !allowed) ||
        (helper && rankOf(from) !== null && !isTestCode(from)) ||
        (from.endsWith("/testing.ts") && to.startsWith("tests/"))
      ) {
        problems.push(`${from} -> ${to}`);
      }
    }
  }
  return problems.sort();
}

/** Every TypeScript file of the project outside dependency folders and the eval tasks' repositories. */
export async function projectModules(root: string): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"],
    cwd: root,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((p) =>
    p !== "" && !p.includes("node_modules/") && !p.startsWith("eval/tasks/")
  );
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const graph = await readImportGraph(root, await projectModules(root));
  const cycles = findCycles(graph);
  const upward = findUpwardImports(graph);
  const breaches = findSurfaceBreaches(graph);
  for (const cycle of cycles) console.error(`cycle: ${cycle.join(" -> ")}`);
  for (const edge of upward) console.error(`upward import: ${edge}`);
  for (const edge of breaches) {
    console.error(`past a folder's mod.ts or into test helpers: ${edge}`);
  }
  if (cycles.length > 0 || upward.length > 0 || breaches.length > 0) {
    Deno.exit(1);
  }
  console.log(
    `imports ok: ${graph.size} modules, no cycle, no upward import, ` +
      "every folder reached through its mod.ts",
  );
}
