import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  findCycles,
  findSurfaceBreaches,
  findUpwardImports,
  type ImportGraph,
  projectModules,
  readImportGraph,
} from "./import_graph.ts";

const graph = (edges: Record<string, string[]>): ImportGraph =>
  new Map(Object.entries(edges));

Deno.test("findCycles() reports a cycle through any number of modules, once", () => {
  assertEquals(
    findCycles(graph({
      "routes/mod.ts": ["routes/runs.ts"],
      "routes/runs.ts": ["routes/deps.ts"],
      "routes/deps.ts": ["routes/mod.ts"],
      "lib/a.ts": [],
    })),
    [["routes/deps.ts", "routes/mod.ts", "routes/runs.ts", "routes/deps.ts"]],
  );
  assertEquals(
    findCycles(
      graph({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] }),
    ),
    [],
  );
  assertEquals(findCycles(graph({ "a.ts": ["a.ts"] })), [["a.ts", "a.ts"]]);
});

Deno.test("findUpwardImports() flags imports against the layers; tests are exempt", () => {
  assertEquals(
    findUpwardImports(graph({
      "runtime/system.ts": ["lib/config.ts", "runtime/types.ts"],
      "lib/store/run_store.ts": ["actors/run/mod.ts", "runtime/mod.ts"],
      "actors/run/mod.ts": ["lib/store/mod.ts", "routes/mod.ts"],
      "routes/runs.ts": ["cli/main.ts", "actors/mod.ts"],
      "main.ts": ["routes/mod.ts"],
      "lib/store/run_store_test.ts": ["actors/run/mod.ts"],
      "tests/support/harness.ts": ["main.ts"],
    })),
    [
      "actors/run/mod.ts -> routes/mod.ts",
      "lib/store/run_store.ts -> actors/run/mod.ts",
      "runtime/system.ts -> lib/config.ts",
    ],
  );
});

Deno.test("findSurfaceBreaches() flags imports past a folder's mod.ts and test helpers in product code", () => {
  assertEquals(
    findSurfaceBreaches(graph({
      "actors/run/mod.ts": [
        "lib/store/mod.ts",
        "lib/store/run_store.ts",
        "runtime/types.ts",
        "lib/config.ts",
      ],
      "lib/store/run_store.ts": ["lib/store/kv.ts", "lib/factory/shapes.ts"],
      "lib/store/run_store_test.ts": [
        "lib/store/testing.ts",
        "lib/llm/testing.ts",
        "lib/llm/client.ts",
        "tests/support/poll.ts",
      ],
      "lib/llm/testing.ts": ["lib/llm/client.ts", "tests/support/poll.ts"],
      "tests/api_test.ts": ["lib/store/testing.ts", "runtime/mod.ts"],
      "lib/git/run.ts": ["lib/store/testing.ts", "tests/support/poll.ts"],
      "lib/eval/suite.ts": ["lib/factory/shapes.ts"],
      "scripts/drill.ts": ["tests/drills/security.ts"],
    })),
    [
      "actors/run/mod.ts -> lib/store/run_store.ts",
      "actors/run/mod.ts -> runtime/types.ts",
      "lib/eval/suite.ts -> lib/factory/shapes.ts",
      "lib/git/run.ts -> lib/store/testing.ts",
      "lib/git/run.ts -> tests/support/poll.ts",
      "lib/llm/testing.ts -> tests/support/poll.ts",
      "lib/store/run_store_test.ts -> lib/llm/client.ts",
    ],
  );
});

Deno.test("the project's import graph has no cycle, no upward import and no import past a mod.ts", async () => {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const graph = await readImportGraph(root, await projectModules(root));
  assert(graph.size > 100, `read only ${graph.size} modules`);
  assertEquals(findCycles(graph), []);
  assertEquals(findUpwardImports(graph), []);
  assertEquals(findSurfaceBreaches(graph), []);
});
