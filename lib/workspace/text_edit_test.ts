import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  throws,
} from "node:assert/strict";
import { applyEdit } from "./text_edit.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

const MIB = 1024 * 1024;

Deno.test("applyEdit() replaces the one occurrence and names the lines", () => {
  const { content, message } = applyEdit(
    "a.py",
    "x = 1\ny = 2\n",
    "y = 2",
    "y = 3",
  );
  assertEquals(content, "x = 1\ny = 3\n");
  assertMatch(message, /^Edited 'a\.py': lines 2-2 replaced by 1 line/);
});

Deno.test("applyEdit() stays bounded on a hostile file and old_text", async () => {
  const file = "a".repeat(4 * MIB);
  file.charCodeAt(1);
  const cases: [string, RegExp][] = [
    // The native search is quadratic here (seconds at this size).
    [
      `${"a".repeat(500)}b${"a".repeat(500)}`,
      /was not found in 'big'.*too large to look for similar text/,
    ],
    // Every position matches: counted up to a bound, lines found in one pass.
    ["a", /old_text matches more than 1000 times in 'big' \(at lines 1, 1, 1/],
  ];
  for (const [oldText, expected] of cases) {
    const { lagMs } = await withLagProbe(() =>
      throws(() => applyEdit("big", file, oldText, "x"), expected)
    );
    assert(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
  }
  // Many short lines: the similarity search is skipped past its bound, not run.
  const lines = "a\n".repeat(200_000);
  const { lagMs } = await withLagProbe(() =>
    throws(
      () => applyEdit("lines", lines, "a\na\nb", "x"),
      /too large to look for similar text/,
    )
  );
  assert(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
});

Deno.test("applyEdit() names the closest text in an ordinary file", () => {
  throws(
    () =>
      applyEdit(
        "a.py",
        "def add(a, b):\n    return a + b\n",
        "def add(a,b):",
        "x",
      ),
    /Closest text in the file[\s\S]*1\tdef add\(a, b\):/,
  );
});
