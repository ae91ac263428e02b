import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { searchLines } from "./line_search.ts";
import { matchLines } from "./line_search_core.ts";

Deno.test("matchLines() numbers lines, caps what it shows and counts every match", () => {
  const result = matchLines({
    pattern: "TODO",
    files: [
      { path: "a.py", content: "x\n# TODO one\n# TODO two\n" },
      { path: "b.py", content: `# TODO ${"z".repeat(50)}\n` },
    ],
    maxMatches: 2,
    maxLineChars: 20,
  });
  assertEquals(result, {
    matches: ["a.py:2: # TODO one", "a.py:3: # TODO two"],
    total: 3,
  });
  const long = matchLines({
    pattern: "z$",
    files: [{ path: "b.py", content: `# TODO ${"z".repeat(50)}` }],
    maxMatches: 5,
    maxLineChars: 20,
  });
  assertEquals(long.matches, [`b.py:1: # TODO ${"z".repeat(13)}…`]);
});

Deno.test("searchLines() gives the worker's answer", async () => {
  assertEquals(
    await searchLines({
      pattern: "^def ",
      files: [{ path: "m.py", content: "import os\ndef f():\n  pass\n" }],
      maxMatches: 10,
      maxLineChars: 100,
    }, 10_000),
    { matches: ["m.py:2: def f():"], total: 1 },
  );
});
