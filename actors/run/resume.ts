/** Resuming a run that a budget PAUSED (`on_budget: pause`), with new limits. */
import type { ActorSystem } from "../../runtime/mod.ts";
import {
  ConflictError,
  type FieldIssue,
  ValidationError,
} from "../../lib/errors.ts";
import type { RunRecord, RunStore } from "../../lib/store/mod.ts";
import { raisedLimits } from "./budget.ts";
import { runRef } from "./messages.ts";

/** The limits POST /runs/{id}/resume may raise; absent ones are kept. */
export interface ResumeLimits {
  max_total_tokens?: number | undefined;
  max_cost_usd?: number | undefined;
  max_wall_time_s?: number | undefined;
}

/**
 * Why these limits would not let the paused `run` go on, one issue per field:
 * the limit it paused at must be raised, and none may be already used up.
 */
export function resumeIssues(
  run: RunRecord,
  requested: ResumeLimits,
): FieldIssue[] {
  const pause = run.pause;
  if (!pause) return [];
  const limits = raisedLimits(pause.limits, requested);
  const issues: FieldIssue[] = [];
  const was = pause.limits[pause.reason];
  const now = limits[pause.reason];
  if (was !== null && now !== null && now <= was) {
    issues.push({
      field: pause.reason,
      message: requested[pause.reason] === undefined
        ? `Required to resume: the run paused at this limit (${was}); give a higher one`
        : `Must be more than ${was}, the limit the run paused at`,
    });
  }
  const add = (field: keyof ResumeLimits, message: string) => {
    if (!issues.some((i) => i.field === field)) issues.push({ field, message });
  };
  if (run.usage.total_tokens >= limits.max_total_tokens) {
    add(
      "max_total_tokens",
      `Must be more than the ${run.usage.total_tokens} tokens the run has used`,
    );
  }
  if (
    limits.max_cost_usd !== null && run.usage.cost_usd >= limits.max_cost_usd
  ) {
    add(
      "max_cost_usd",
      `Must be more than the $${run.usage.cost_usd} the run has cost`,
    );
  }
  if (pause.wall_time_used_s >= limits.max_wall_time_s) {
    add(
      "max_wall_time_s",
      `Must be more than the ${pause.wall_time_used_s} s the run has worked (time paused does not count)`,
    );
  }
  return issues;
}

/**
 * Sends the new limits to the run actor and waits briefly for the run to go
 * on; 409 unless the run is PAUSED, 422 naming each limit still reached, 404
 * for an unknown run. `done` is false when the actor has not acted yet (the
 * resume still holds: it is committed in the actor's mailbox).
 */
export async function resumeRun(
  opts: { store: RunStore; system: ActorSystem },
  id: string,
  requested: ResumeLimits,
): Promise<{ run: RunRecord; done: boolean }> {
  let run = await opts.store.getRun(id);
  if (run.status !== "PAUSED") {
    throw new ConflictError(
      `Run '${id}' is ${run.status}, not PAUSED: only a run paused at a budget can be resumed`,
    );
  }
  const issues = resumeIssues(run, requested);
  if (issues.length > 0) throw new ValidationError(issues);
  const limits = Object.fromEntries(
    Object.entries(requested).filter(([, v]) => v !== undefined),
  );
  await opts.system.send(runRef(id), { type: "resume", limits });
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    run = await opts.store.getRun(id);
    if (run.status !== "PAUSED") return { run, done: true };
  }
  return { run, done: false };
}
