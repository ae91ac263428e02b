/**
 * A task's work order: `task.md` checked with the server's rules (with the
 * fields `aos eval` fills in), and the work order each attempt submits.
 */
import { join } from "node:path";
import { ValidationError } from "../errors.ts";
import {
  readFrontmatter,
  type WorkOrder,
  workOrderFromFields,
} from "../work_order/mod.ts";
import { SuiteError } from "./suite_error.ts";

/** What of a task its work order comes from (an `EvalTask` has it). */
export interface TaskWorkOrderSource {
  name: string;
  dir: string;
  /** `task.md`'s frontmatter fields. */
  fields: Record<string, unknown>;
  /** The work order's body. */
  body: string;
}

/** What `aos eval` sets in a work order; a task.md must leave it alone. */
const EVAL_OWNED = ["push_branch"] as const;
/** Stands in for the repository a task gets at run time, to validate the rest. */
const PLACEHOLDER_REPO = "/aos-eval/placeholder.git";

/** Reads task.md and validates it as the server would, with the fields aos eval fills in. */
export async function readTaskWorkOrder(
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
  task: TaskWorkOrderSource,
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

function issueLines(error: ValidationError): string[] {
  return error.issues.map((i) =>
    i.field ? `${i.field}: ${i.message}` : i.message
  );
}
