/** `aos eval --compare A.json B.json`: two eval results side by side. */
import { type EvalResult, evalResultSchema } from "../lib/eval/mod.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import { formatComparison } from "./eval_format.ts";
import { printLine } from "./output.ts";

/** Reads an eval result file; unreadable or not in the result format ⇒ exit 2 naming the file. */
export async function readEvalResult(path: string): Promise<EvalResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw inputError(
      `Cannot read eval result "${path}": ${(error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw inputError(
      `Eval result "${path}" is not JSON: ${(error as Error).message}`,
    );
  }
  const parsed = evalResultSchema.safeParse(data);
  if (!parsed.success) {
    throw inputError(
      `"${path}" is not an eval result (aos eval --json)`,
      parsed.error.issues.slice(0, 10).map((issue) =>
        `${issue.path.join(".") || "(top level)"}: ${issue.message}`
      ),
    );
  }
  return parsed.data;
}

/** Prints the comparison of exactly two result files. */
export async function compareCommand(files: string[]): Promise<ExitCode> {
  if (files.length !== 2) {
    throw inputError(
      `--compare takes two result files (A.json B.json), got ${files.length}`,
    );
  }
  const [a, b] = await Promise.all(files.map(readEvalResult));
  printLine(
    formatComparison(
      { label: files[0]!, result: a! },
      { label: files[1]!, result: b! },
    ),
  );
  return EXIT.succeeded;
}
