import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  throws,
} from "node:assert/strict";
import { findFiles, listing } from "./file_listing.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

const FILES = [
  "README.md",
  "src/a.ts",
  "src/lib/b.ts",
  "src/lib/c.ts",
  "src/z.ts",
  "docs/x.md",
].sort();

Deno.test("listing() shows one level with file counts, deeper on request", () => {
  assertEquals(
    listing(FILES, ""),
    "the repository root, depth 1: 2 directories, 1 files (6 files in all below it)\ndocs/ (1 file)\nsrc/ (4 files)\nREADME.md",
  );
  assertEquals(
    listing(FILES, "src", { depth: 2 }),
    "'src/', depth 2: 1 directories, 4 files (4 files in all below it)\nsrc/lib/ (2 files)\nsrc/lib/b.ts\nsrc/lib/c.ts\nsrc/a.ts\nsrc/z.ts",
  );
});

Deno.test("listing() pages with a footer naming the next call, and refuses files, missing dirs and bad offsets", () => {
  const many = Array.from(
    { length: 450 },
    (_, i) => `d/f${String(i).padStart(3, "0")}`,
  );
  const first = listing(many, "d");
  assertMatch(
    first,
    /\n\[entries 1-200 of 450; 250 more: list_files \{"path":"d","offset":200\}\]$/,
  );
  assertMatch(
    listing(many, "d", { offset: 400 }),
    /d\/f400\n[\s\S]*d\/f449\n\[entries 401-450 of 450\]$/,
  );
  throws(
    () => listing(many, "d", { offset: 450 }),
    /offset 450 is past the last entry \(there are 450\)/,
  );
  throws(
    () => listing(FILES, "src/a.ts"),
    /'src\/a\.ts' is a file, not a directory; use read_file/,
  );
  throws(() => listing(FILES, "nope"), /Directory 'nope' does not exist/);
  assertEquals(listing([], ""), "The repository has no files.");
});

Deno.test("findFiles() matches names at any depth without '/', from the root with it", () => {
  assertEquals(
    findFiles(FILES, "*.md"),
    "2 files match '*.md'\nREADME.md\ndocs/x.md",
  );
  assertEquals(
    findFiles(FILES, "src/lib/*.ts"),
    "2 files match 'src/lib/*.ts'\nsrc/lib/b.ts\nsrc/lib/c.ts",
  );
  assertMatch(
    findFiles(FILES, "lib/*.ts"),
    /^No files match 'lib\/\*\.ts' \(globs with a '\/' are matched from the repository root; try '\*\*\/' in front\)$/,
  );
  throws(() => findFiles(FILES, "  "), /glob must not be empty/);
});

Deno.test("findFiles() with a glob built to backtrack answers in milliseconds", async () => {
  // The model's glob against the repository's file names (a regex took minutes per name).
  const files = Array.from(
    { length: 200 },
    (_, i) => `d${i}/${"a".repeat(200)}`,
  );
  const { value, lagMs } = await withLagProbe(() =>
    findFiles(files, `${"*a".repeat(12)}b`)
  );
  assertMatch(value, /^No files match/);
  assert(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
});
