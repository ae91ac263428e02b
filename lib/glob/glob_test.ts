import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import picomatch from "picomatch";
import { compileGlob, GlobError } from "./glob.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

const GLOBS = [
  "*",
  "**",
  "*.py",
  "**/*.py",
  "src/**/*.ts",
  "src/*.ts",
  "lib/**/*_test.ts",
  "**/__pycache__/**",
  "**/node_modules/**",
  "**/*.pyc",
  "**/.coverage",
  "secrets/**",
  "docs/**/*.md",
  "a/**/b",
  "a/*/b",
  "x/**",
  "x/**/*",
  "**/x",
  "*.{ts,tsx}",
  "{src,lib}/**/*.js",
  "{a,{b,c}}.ts",
  "file{1..3}.txt",
  "@(a|b).ts",
  "[a-c]*.md",
  "[^a]*.md",
  "[[:digit:]]*",
  "a?c",
  "a**b",
  "\\*.ts",
  ".github/**",
  ".env*",
  "**/.env",
  "README.md",
  "a/**b",
  "package*.json",
  "**/requirements*.txt",
  "tests/**/test_*.py",
  "{,x}a",
];
const PATHS = [
  "a",
  "b.py",
  "a/b.py",
  "src/a.ts",
  "src/x/y/z.ts",
  "src/a.tsx",
  "lib/x/y_test.ts",
  "pkg/__pycache__/m.pyc",
  "__pycache__/m.pyc",
  "node_modules/x/index.js",
  "a/.coverage",
  "secrets/k.txt",
  "secrets",
  "docs/a/b.md",
  "docs/a.md",
  "a/b",
  "a/x/b",
  "a/x/y/b",
  "x",
  "x/y",
  "x/y/z",
  "q/x",
  "a.ts",
  "b.ts",
  "c.ts",
  "d.ts",
  "file2.txt",
  "file4.txt",
  "abc.md",
  "bcd.md",
  "9lives",
  "abc",
  "a/c",
  "axxb",
  "*.ts",
  ".github/workflows/ci.yml",
  ".env",
  ".env.local",
  "z/.env",
  "README.md",
  "docs/README.md",
  "a/xb",
  "a/x/b",
  "package.json",
  "package-lock.json",
  "api/requirements-dev.txt",
  "tests/unit/test_calc.py",
  "lib/a.js",
  "src/a.js",
  "xa",
];

Deno.test("compileGlob() agrees with picomatch (dot: true) on ordinary globs and paths", () => {
  const differences: string[] = [];
  for (const glob of GLOBS) {
    // As AOS uses it: basename only for a glob without a slash (picomatch
    // applies it to the others too, which is not what its docs say).
    for (const basename of glob.includes("/") ? [false] : [false, true]) {
      const ours = compileGlob(glob, { basename });
      const theirs = picomatch(glob, { dot: true, basename });
      for (const path of PATHS) {
        if (ours(path) !== theirs(path)) {
          differences.push(
            `${glob} ${basename ? "(basename) " : ""}on ${path}: ${ours(path)}`,
          );
        }
      }
    }
  }
  assertEquals(differences, []);
});

Deno.test("compileGlob() costs milliseconds on globs built to backtrack", async () => {
  const name = "a".repeat(255);
  const path = `${"d/".repeat(200)}${name}`;
  for (
    const glob of [
      `${"*a".repeat(12)}b`,
      `**/${"*a".repeat(40)}b`,
      `${"**/".repeat(20)}${"*a".repeat(10)}b`,
      `${"?".repeat(100)}*b`,
    ]
  ) {
    const { value, lagMs } = await withLagProbe(() =>
      compileGlob(glob, { basename: !glob.includes("/") })(path)
    );
    assertEquals(value, false, glob);
    assert(lagMs < MAX_LAG_MS, `${glob}: event loop blocked ${lagMs} ms`);
  }
});

Deno.test("compileGlob() refuses what it cannot match: brace bombs and extended patterns", () => {
  throws(() => compileGlob("{a,b}".repeat(12)), GlobError);
  throws(() => compileGlob("f{1..100000}"), GlobError);
  throws(() => compileGlob("+(a).ts"), /extended pattern '\+\(…\)'/);
  assert(compileGlob("!*.md")("a.ts"));
  assert(!compileGlob("!*.md")("a.md"));
});
