import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { diffStat, digestDiff, splitDiff } from "./diff_digest.ts";

const section = (path: string, body: string) =>
  `diff --git a/${path} b/${path}\nindex 1..2 100644\n--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n${body}`;

Deno.test("splitDiff() and diffStat() count each file's lines like git diff --stat", () => {
  const diff = section("a.py", "-x = 1\n+x = 2\n y\n") +
    "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n" +
    section("src/long/path/module.ts", "+one\n+two\n");
  const files = splitDiff(diff);
  assertEquals(files.map((f) => [f.path, f.added, f.removed, f.binary]), [
    ["a.py", 1, 1, false],
    ["logo.png", 0, 0, true],
    ["src/long/path/module.ts", 2, 0, false],
  ]);
  const stat = diffStat(files);
  assertMatch(stat, /^ a\.py +\| +2 \+{20}-{20}$/m);
  assertMatch(stat, /^ logo\.png +\| Bin$/m);
  assertMatch(stat, / 3 files changed, 3 insertions\(\+\), 1 deletion\(-\)$/);
});

Deno.test("digestDiff() returns a diff that fits whole after its summary", () => {
  const diff = section("a.py", "-x = 1\n+x = 2\n");
  const digest = digestDiff(diff, 10_000);
  assert(digest.endsWith(diff));
  assert(digest.startsWith(" a.py | "));
});

Deno.test("digestDiff() caps each file to its share so every file is shown", () => {
  const big =
    Array.from({ length: 5000 }, (_, i) => `+big line ${i}`).join("\n") + "\n";
  const diff = section("big.txt", big) + section("small.py", "-a\n+b\n") +
    section("other.py", "+c\n");
  const digest = digestDiff(diff, 4_000);
  assert(digest.length < 4_600, `${digest.length}`);
  for (
    const part of ["big.txt", "+b\n", "+c\n", "+big line 0\n", "+big line 4999"]
  ) {
    assert(digest.includes(part), `digest lacks ${JSON.stringify(part)}`);
  }
  assertMatch(
    digest,
    /\[… \d+ lines \(\d+ characters\) of this file's diff omitted …\]/,
  );
});
