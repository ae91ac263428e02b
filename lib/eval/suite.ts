/**
 * An eval suite on disk: a folder of task folders, each with a work order
 * (`task.md`), a hidden check (`eval.yml`) and optionally the repository
 * (`repo/`), files the hidden check adds (`hidden/`) and a reference
 * solution (`solution.patch`). `suite.yml` names the quick subset. Every
 * problem is a SuiteError naming the file.
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import {
  readFrontmatter,
  type WorkOrder,
  workOrderFromFields,
} from "../work_order/mod.ts";

/** A suite that cannot be run as it is: `file` is where the problem is. */
export class SuiteError extends Error {
  override name = "SuiteError";
  readonly file: string;
  /** One line per problem found in `file`. */
  readonly details: string[];
  constructor(file: string, message: string, details: string[] = []) {
    super(message);
    this.file = file;
    this.details = details;
  }
}

/** `suite.yml`: what the suite is and its quick subset. */
export const suiteSpecSchema = z.strictObject({
  description: z.string().optional(),
  /** Task folder names run by `aos eval --quick`. */
  quick: z.array(z.string()).default([]),
});

/** `eval.yml` of a task: the hidden check and notes for humans. */
export const taskSpecSchema = z.strictObject({
  /** Shell commands run in the sandbox on the result's checkout; all must exit 0. */
  hidden_check: z.array(z.string().min(1).max(10_000)).min(1).max(50),
  /** Per hidden command. */
  hidden_timeout_s: z.number().int().min(1).max(3_600).default(300),
  difficulty: z.enum(["easy", "medium", "hard"]).optional(),
  /** What the task exercises (`bug`, `feature`, `refactor`, `setup`, …). */
  tags: z.array(z.string()).default([]),
  /** Needs the package registries (its setup_commands download): not run offline. */
  network: z.boolean().default(false),
});
/** `eval.yml` of a task. */
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** One task of a suite, checked. */
export interface EvalTask {
  name: string;
  dir: string;
  /** `task.md`'s frontmatter fields (without `repo` when the task has `repo/`). */
  fields: Record<string, unknown>;
  /** The work order's body: the task the SE reads. */
  body: string;
  spec: TaskSpec;
  /** `repo/`: the repository's files, made into a bare repository per attempt. */
  repoDir: string | null;
  /** `hidden/`: files copied over the result's checkout before the hidden check. */
  hiddenDir: string | null;
  /** `solution.patch`: a reference solution (never shown to the agent). */
  solutionPatch: string | null;
}

/** A loaded suite. */
export interface EvalSuite {
  dir: string;
  description: string | null;
  tasks: EvalTask[];
  /** Names of the quick subset. */
  quick: string[];
}

/** What `aos eval` sets in a work order; a task.md must leave it alone. */
const EVAL_OWNED = ["push_branch"] as const;
/** Stands in for the repository a task gets at run time, to validate the rest. */
const PLACEHOLDER_REPO = "/aos-eval/placeholder.git";
const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Loads and checks the suite in `dir`; throws SuiteError naming the file at fault. */
export async function loadSuite(dir: string): Promise<EvalSuite> {
  if (!(await statOf(dir))?.isDirectory) {
    throw new SuiteError(
      dir,
      (await statOf(dir))
        ? `Suite "${dir}" is not a folder`
        : `Suite folder "${dir}" does not exist`,
    );
  }
  const suiteFile = join(dir, "suite.yml");
  const spec = await readYaml(suiteFile, suiteSpecSchema, { optional: true }) ??
    suiteSpecSchema.parse({});
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) {
      names.push(entry.name);
    }
  }
  names.sort();
  const tasks: EvalTask[] = [];
  for (const name of names) tasks.push(await loadTask(join(dir, name), name));
  if (tasks.length === 0) {
    throw new SuiteError(
      dir,
      `Suite "${dir}" has no tasks: a task is a folder with a task.md and an eval.yml`,
    );
  }
  const unknown = spec.quick.filter((q) => !names.includes(q));
  if (unknown.length > 0) {
    throw new SuiteError(
      suiteFile,
      `Invalid suite file "${suiteFile}"`,
      unknown.map((q) => `quick: no task folder named "${q}"`),
    );
  }
  return {
    dir,
    description: spec.description ?? null,
    tasks,
    quick: spec.quick,
  };
}

/** Loads the task in `dir`. */
async function loadTask(dir: string, name: string): Promise<EvalTask> {
  if (!TASK_NAME.test(name)) {
    throw new SuiteError(
      dir,
      `Task folder name "${name}" must be letters, digits, '.', '_' or '-'`,
    );
  }
  const workOrderPath = join(dir, "task.md");
  if (!(await statOf(workOrderPath))?.isFile) {
    throw new SuiteError(
      workOrderPath,
      `Task "${name}" has no work order: "${workOrderPath}" is missing`,
    );
  }
  const spec = await readYaml(join(dir, "eval.yml"), taskSpecSchema, {
    optional: false,
  });
  const repoDir = (await statOf(join(dir, "repo")))?.isDirectory
    ? join(dir, "repo")
    : null;
  const hiddenDir = (await statOf(join(dir, "hidden")))?.isDirectory
    ? join(dir, "hidden")
    : null;
  const solution = join(dir, "solution.patch");
  const { fields, body } = await readTaskWorkOrder(workOrderPath, repoDir);
  return {
    name,
    dir,
    fields,
    body,
    spec: spec!,
    repoDir,
    hiddenDir,
    solutionPatch: (await statOf(solution))?.isFile ? solution : null,
  };
}

/** Reads task.md and validates it as the server would, with the fields aos eval fills in. */
async function readTaskWorkOrder(
  path: string,
  repoDir: string | null,
): Promise<{ fields: Record<string, unknown>; body: string }> {
  const invalid = (details: string[]) =>
    new SuiteError(path, `Invalid work order "${path}"`, details);
  let data: Record<string, unknown>;
  let body: string;
  try {
    ({ data, body } = readFrontmatter(await Deno.readFile(path)));
  } catch (error) {
    if (error instanceof ValidationError) throw invalid(issueLines(error));
    throw error;
  }
  const problems: string[] = [];
  if (repoDir !== null && "repo" in data) {
    problems.push(
      "repo: Must be left out: the task has a repo/ folder, which aos eval turns into the repository",
    );
  }
  if (repoDir === null && !("repo" in data)) {
    problems.push(
      "repo: Required field is missing (or add a repo/ folder to the task)",
    );
  }
  for (const field of EVAL_OWNED) {
    if (field in data) {
      problems.push(
        `${field}: Must be left out: aos eval sets it for each attempt`,
      );
    }
  }
  try {
    workOrderFromFields({
      repo: PLACEHOLDER_REPO,
      ...data,
      push_branch: "aos-eval/check",
      task: body,
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...issueLines(error));
  }
  if (problems.length > 0) throw invalid(problems);
  return { fields: data, body };
}

/** Models asked for on the command line; null leaves the work order's (or the service's) choice. */
export interface ModelOverrides {
  model?: string | null | undefined;
  se_model?: string | null | undefined;
  po_model?: string | null | undefined;
}

/** The work order one attempt submits: the task's, with its repository, push branch and models. */
export function attemptWorkOrder(
  task: EvalTask,
  opts: { repo: string | null; pushBranch: string; models?: ModelOverrides },
): WorkOrder {
  const fields: Record<string, unknown> = {
    ...task.fields,
    push_branch: opts.pushBranch,
    task: task.body,
  };
  if (opts.repo !== null) fields.repo = opts.repo;
  for (const key of ["model", "se_model", "po_model"] as const) {
    const value = opts.models?.[key];
    if (value) fields[key] = value;
  }
  try {
    return workOrderFromFields(fields);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new SuiteError(
        join(task.dir, "task.md"),
        `Invalid work order for task "${task.name}"`,
        issueLines(error),
      );
    }
    throw error;
  }
}

/** Reads a YAML file and checks it with `schema`; absent ⇒ null when optional. */
async function readYaml<S extends z.ZodType>(
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

function issueLines(error: ValidationError): string[] {
  return error.issues.map((i) =>
    i.field ? `${i.field}: ${i.message}` : i.message
  );
}

async function statOf(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}
