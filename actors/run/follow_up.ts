/**
 * Follow-up runs (DESIGN §4, issue #23 point 1): the work order of a new run
 * that continues a finished one from its resulting commit, on the same
 * push branch and pull request, with the parent's task, result, diff and the
 * reviewer's feedback in its task.
 */
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from "../../lib/errors.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { type RunRecord, TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import { storedWorkOrder } from "../../lib/work_order/mod.ts";
import { ARTIFACT, readArtifact } from "../../lib/factory/mod.ts";

/** Longest feedback accepted (characters). */
export const MAX_FEEDBACK_CHARS = 20_000;
/** Most characters of the parent's diff put into the follow-up's task. */
const MAX_DIFF_CHARS = 200_000;
/** Most characters of the parent's task kept (the rest is in the parent's run). */
const MAX_TASK_CHARS = 200_000;

/** What a follow-up asks for. */
export interface FollowUpRequest {
  feedback: string;
  /** The follow-up's max_iterations (default: the parent's). */
  maxIterations?: number;
}

/** Where the parent left its work, read from its events. */
interface ParentResult {
  /** The branch it pushed to, when it pushed. */
  pushedBranch: string | null;
  /** The commit its workspace started from. */
  baseCommit: string | null;
  seSummary: string | null;
  poFeedback: string | null;
}

/** The fields of the follow-up of `parent` (validated again by the caller). */
export async function followUpFields(
  store: RunStore,
  parent: RunRecord,
  request: FollowUpRequest,
): Promise<Record<string, unknown>> {
  const feedback = checkFeedback(request.feedback);
  if (!TERMINAL_STATUSES.has(parent.status)) {
    throw new ConflictError(
      `Run '${parent.id}' is ${parent.status}; only a finished run can be revised (wait for it to end, or cancel it first)`,
    );
  }
  const stored = await store.getWorkOrder(parent.id);
  if (stored === null || typeof stored !== "object") {
    throw new NotFoundError(`Run '${parent.id}' has no stored work order`);
  }
  const parentOrder = storedWorkOrder(stored, parent.id);
  const result = await parentResult(store, parent.id);
  const diff = await parentDiff(store, parent);
  const pushBranch = result.pushedBranch ?? parent.push_branch ??
    parentOrder.push_branch;
  // Cloned from what the parent left: its pushed branch, else the commit it
  // started from (its changes then exist only as the diff in the task).
  const cloneBranch = result.pushedBranch ?? result.baseCommit ??
    parentOrder.clone_branch;
  const pullRequest = parentOrder.pull_request === null ? null : {
    ...parentOrder.pull_request,
    // The same pull request: its base stays the parent's, not the push branch.
    base: parentOrder.pull_request.base ?? parentOrder.clone_branch,
  };
  const task = followUpTask({
    parent,
    parentTask: parentOrder.task,
    result,
    diff,
    feedback,
    cloneBranch,
  });
  const { task: _task, ...fields } = parentOrder;
  return {
    ...fields,
    clone_branch: cloneBranch,
    push_branch: pushBranch,
    push_mode: "update",
    allow_push_to_clone_branch: parentOrder.allow_push_to_clone_branch ||
      (pushBranch !== null && pushBranch === cloneBranch),
    max_iterations: request.maxIterations ?? parentOrder.max_iterations,
    pull_request: pullRequest,
    task,
  };
}

/** The feedback trimmed; 422 when empty or too long. */
function checkFeedback(feedback: unknown): string {
  const text = typeof feedback === "string" ? feedback.trim() : "";
  if (text === "") {
    throw new ValidationError([{
      field: "feedback",
      message: "Must be a non-empty string saying what to change",
    }]);
  }
  if (text.length > MAX_FEEDBACK_CHARS) {
    throw new ValidationError([{
      field: "feedback",
      message: `Must be at most ${MAX_FEEDBACK_CHARS} characters`,
    }]);
  }
  if (text.includes("\0")) {
    throw new ValidationError([{
      field: "feedback",
      message: "Must not contain NUL characters",
    }]);
  }
  return text;
}

async function parentResult(
  store: RunStore,
  id: string,
): Promise<ParentResult> {
  const result: ParentResult = {
    pushedBranch: null,
    baseCommit: null,
    seSummary: null,
    poFeedback: null,
  };
  const attempts = new Map<number, string>();
  for (const event of await store.listEvents(id)) {
    const p = event.payload;
    if (event.kind === "WORKSPACE_READY" && typeof p.base_commit === "string") {
      result.baseCommit ??= p.base_commit;
    } else if (
      event.kind === "PUSH" && p.pushed === true && typeof p.branch === "string"
    ) {
      result.pushedBranch = p.branch;
    } else if (event.kind === "SE_OUTPUT" && typeof p.summary === "string") {
      // A best-of-N attempt's summary counts once the run goes on with it.
      if (typeof p.attempt === "number") attempts.set(p.attempt, p.summary);
      else result.seSummary = p.summary;
    } else if (
      event.kind === "ATTEMPT_PICKED" && typeof p.attempt === "number"
    ) {
      result.seSummary = attempts.get(p.attempt) ?? result.seSummary;
    } else if (event.kind === "PO_RESULT" && typeof p.feedback === "string") {
      result.poFeedback = p.feedback;
    }
  }
  return result;
}

/**
 * The parent's final diff (`diff.patch`, written when it passed), else the
 * cumulative diff its last iteration's Tool Runner measured (a run that
 * failed, or was rejected before pushing).
 */
async function parentDiff(
  store: RunStore,
  parent: RunRecord,
): Promise<string | null> {
  const diff = await readArtifact(store, parent.id, ARTIFACT.diff);
  if (diff !== null) return diff;
  if (parent.iteration < 1) return null;
  const report = await readArtifact(
    store,
    parent.id,
    ARTIFACT.toolReport(parent.iteration),
  );
  return report?.diff ?? null;
}

/** The follow-up's task: the original one, what the parent did, and the feedback. */
function followUpTask(opts: {
  parent: RunRecord;
  parentTask: string;
  result: ParentResult;
  diff: string | null;
  feedback: string;
  cloneBranch: string;
}): string {
  const { parent, result } = opts;
  const start = result.pushedBranch
    ? `Your working copy starts from branch '${result.pushedBranch}', which holds the previous run's changes.`
    : `The previous run did not push: your working copy starts from ${opts.cloneBranch}, WITHOUT its changes; its diff is below, apply again what the feedback keeps.`;
  const lines = [
    clip(opts.parentTask, MAX_TASK_CHARS),
    "",
    "---",
    "",
    `## Follow-up of run ${parent.id}`,
    "",
    `The task above was worked on by run ${parent.id}, which ended ${parent.status}. ${start} Change what the feedback asks for.`,
    "",
    "### The previous run's result",
    "",
    parent.result_summary ?? parent.error ?? "(no summary)",
  ];
  if (result.seSummary) {
    lines.push("", `Its engineer's summary: ${clip(result.seSummary, 10_000)}`);
  }
  if (result.poFeedback) {
    lines.push(
      "",
      `Its reviewer's last word: ${clip(result.poFeedback, 10_000)}`,
    );
  }
  lines.push("", "### The previous run's diff", "");
  if (opts.diff === null || opts.diff.trim() === "") {
    lines.push("(no diff was recorded)");
  } else {
    const diff = clip(opts.diff, MAX_DIFF_CHARS);
    const fence = "`".repeat(Math.max(3, longestRun(diff, "`") + 1));
    lines.push(`${fence}diff`, diff, fence);
  }
  lines.push("", "### Feedback to address", "", opts.feedback);
  return lines.join("\n");
}

function clip(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}\n… (${text.length - max} more characters cut)`;
}

/** Length of the longest run of `char` in `text` (so a fence can be longer). */
function longestRun(text: string, char: string): number {
  let best = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > best) best = current;
  }
  return best;
}
