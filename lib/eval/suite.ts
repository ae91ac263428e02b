/**
 * An eval suite on disk: a folder of task folders, each with a work order
 * (`task.md`), a hidden check (`eval.yml`) and optionally the repository
 * (`repo/`), files the hidden check adds (`hidden/`) and a reference
 * solution (`solution.patch`). `suite.yml` names the quick subset. Every
 * problem is a SuiteError naming the file.
 */
import { join } from "node:path";
import { z } from "zod";
import { SuiteError } from "./suite_error.ts";
import { readTaskWorkOrder } from "./task_work_order.ts";
import { readYaml } from "./yaml_file.ts";

export { SuiteError } from "./suite_error.ts";
export { attemptWorkOrder, type ModelOverrides } from "./task_work_order.ts";

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

/** Task folder names: safe in branch names, paths and tables. */
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

async function statOf(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}
