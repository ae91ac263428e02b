/** Reading a suite's YAML files (`suite.yml`, `eval.yml`) through a zod schema. */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { SuiteError } from "./suite_error.ts";

/** Reads a YAML file and checks it with `schema`; absent ⇒ null when optional. */
export async function readYaml<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: { optional: boolean },
): Promise<z.output<S> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && opts.optional) return null;
    throw new SuiteError(
      path,
      error instanceof Deno.errors.NotFound
        ? `"${path}" is missing: a task needs an eval.yml with its hidden_check commands`
        : `Cannot read "${path}": ${(error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (error) {
    throw new SuiteError(
      path,
      `"${path}" is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new SuiteError(
      path,
      `Invalid "${path}"`,
      parsed.error.issues.flatMap((issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => `Unknown field '${key}'`)
          : [`${issue.path.join(".") || "(top level)"}: ${issue.message}`]
      ),
    );
  }
  return parsed.data;
}
