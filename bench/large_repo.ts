/**
 * A generated large repository for the SE tools benchmark: ≥ 15,000 files in a
 * layout like a real project's (cli/, ext/, runtime/, tests/…), one 5,000-line
 * file and one folder of 3,000 entries. Deterministic: the same files every run.
 */

/** The file the exploration reads and edits. */
export const BIG_FILE = "cli/tools/big_module.ts";
/** The folder of 3,000 entries. */
export const BIG_FOLDER = "tests/testdata/fixtures";
/** An identifier found in many files. */
export const COMMON_IDENTIFIER = "serializeValue";
/** An identifier found nowhere. */
export const ABSENT_IDENTIFIER = "zzNeverDefinedAnywhere";

function sourceFile(area: string, i: number, j: number): string {
  const name = `${area}_${i}_${j}`;
  const lines = [
    `// Copyright the authors. Module ${name}.`,
    `import { helper_${j % 17} } from "../shared/helpers.ts";`,
    "",
    `export interface ${name}Options {`,
    "  verbose: boolean;",
    "  limit: number;",
    "}",
    "",
    `export function run_${name}(opts: ${name}Options): number {`,
    "  let total = 0;",
    "  for (let k = 0; k < opts.limit; k++) {",
    `    total += helper_${j % 17}(k) * ${(i * 31 + j) % 97};`,
    "  }",
    (i + j) % 7 === 0
      ? `  return ${COMMON_IDENTIFIER}(total, opts.verbose);`
      : "  return total;",
    "}",
    "",
  ];
  return lines.join("\n");
}

/** The repository's files (path → content). */
export function largeRepoFiles(): Record<string, string> {
  const files: Record<string, string> = {
    "README.md":
      "# Large generated project\n\nUsed by the AOS SE tools benchmark.\n",
    ".gitignore": "target/\n*.log\n",
  };
  const areas = ["cli", "ext", "runtime", "libs", "tools", "bench_util"];
  let made = 0;
  for (const area of areas) {
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 50; j++) {
        files[`${area}/${area}_mod_${i}/file_${j}.ts`] = sourceFile(area, i, j);
        made++;
      }
    }
  }
  for (let k = 0; k < 3_000; k++) {
    files[`${BIG_FOLDER}/case_${String(k).padStart(4, "0")}.json`] =
      `{ "case": ${k}, "expect": "ok" }\n`;
  }
  const big: string[] = [];
  for (let n = 1; n <= 5_000; n++) {
    big.push(
      n % 50 === 0
        ? `export function step_${n}(x: number): number { return x + ${n}; }`
        : `  const value_${n} = compute(${n}, "item-${n}");`,
    );
  }
  files[BIG_FILE] = `${big.join("\n")}\n`;
  if (made + 3_003 < 15_000) throw new Error("the generated repo is too small");
  return files;
}
