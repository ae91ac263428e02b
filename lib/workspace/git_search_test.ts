import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { join } from "node:path";
import { gitSearch } from "./git_search.ts";
import { gitIn, withTempDir, writeFiles } from "./testing.ts";

async function withRepo(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  await withTempDir("aos_search_", async (dir) => {
    await writeFiles(dir, files);
    await gitIn(dir, "init", "-q");
    await gitIn(dir, "add", "-A");
    await gitIn(dir, "commit", "-qm", "i");
    await fn(dir);
  });
}

const search = (dir: string, pattern: string, more = {}) =>
  gitSearch(dir, { pattern, path: "", ...more }, { timeoutMs: 10_000 });

Deno.test("gitSearch() groups matches per file with line numbers, honours path, glob and ignore_case", async () => {
  await withRepo({
    "src/a.py": "def total():\n    return Total\n",
    "src/deep/b.py": "total = 1\n",
    "docs/total.md": "the total\n",
    ".gitignore": "out/\n",
    "bin.dat": "total\u0000\u0001",
  }, async (dir) => {
    await Deno.mkdir(join(dir, "out"));
    await Deno.writeTextFile(join(dir, "out/x.py"), "total\n");
    await Deno.writeTextFile(join(dir, "src/new.py"), "# total, untracked\n");
    assertEquals(
      await search(dir, "\\btotal\\b"),
      [
        "4 matches in 4 files for /\\btotal\\b/",
        "docs/total.md",
        "  1: the total",
        "src/a.py",
        "  1: def total():",
        "src/deep/b.py",
        "  1: total = 1",
        "src/new.py",
        "  1: # total, untracked",
      ].join("\n"),
    );
    assertMatch(
      await search(dir, "total", { ignoreCase: true, path: "src" }),
      /^4 matches in 3 files for \/total\/i in 'src'/,
    );
    assertMatch(
      await search(dir, "total", { glob: "*.py", path: "src/deep" }),
      /^1 match in 1 file .*\nsrc\/deep\/b\.py\n {2}1: total = 1$/,
    );
    assertMatch(
      await search(dir, "total", { glob: "src/*.py" }),
      /^2 matches in 2 files/,
    );
    assertMatch(
      await search(dir, "total", { path: "src/a.py" }),
      /^1 match in 1 file/,
    );
    assertEquals(
      await search(dir, "nowhere_at_all"),
      "No matches for /nowhere_at_all/",
    );
  });
});

Deno.test("gitSearch() caps what it shows, counts everything and names the other files", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) {
    files[`f${String(i).padStart(2, "0")}.txt`] = Array.from(
      { length: 12 },
      (_, k) => `hit ${k} ${"x".repeat(300)}`,
    ).join("\n");
  }
  await withRepo(files, async (dir) => {
    const out = await search(dir, "hit");
    const lines = out.split("\n");
    assertEquals(lines[0], "360 matches in 30 files for /hit/");
    assertEquals(lines.filter((l) => /^ {2}\d+: /.test(l)).length, 100);
    assertMatch(out, /f00\.txt\n {2}1: hit 0 x+… \[306 chars\]/);
    assertMatch(out, /… 2 more in this file/);
    assertMatch(
      out,
      /Other files with matches \(count\): f10\.txt \(12\), f11\.txt \(12\)/,
    );
    assertMatch(
      lines.at(-1) ?? "",
      /^\[100 of 360 matches shown \(at most 10 per file\)/,
    );
    assert(out.length < 30_000, `answer of ${out.length} chars`);
  });
});

Deno.test("gitSearch() reports a bad pattern and a timeout as ToolErrors", async () => {
  await withRepo({ "a.txt": "a\n" }, async (dir) => {
    await rejects(search(dir, "(unclosed"), {
      name: "ToolError",
      message:
        /could not search for \/\(unclosed\/: .*missing closing parenthesis/,
    });
    await rejects(
      gitSearch(dir, { pattern: "a", path: "" }, { timeoutMs: 0 }),
      { name: "ToolError", message: /search_files stopped after 0 ms/ },
    );
  });
});
