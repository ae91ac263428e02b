/** One attempt of `aos eval`: the task's repository, submit, wait, the hidden check. */
import { join } from "node:path";
import {
  type AttemptResult,
  attemptWorkOrder,
  checkoutResult,
  createTaskRepo,
  emptyAttempt,
  type EvalTask,
  type ModelOverrides,
  runHiddenCheck,
} from "../lib/eval/mod.ts";
import type { SandboxMode } from "../lib/sandbox/mod.ts";
import type { RunRecord } from "../lib/store/types.ts";
import { renderWorkOrderMd, type WorkOrder } from "../lib/work_order/mod.ts";
import type { AosClient } from "./client.ts";
import { CliError, inputError } from "./errors.ts";
import { runDetail } from "./eval_runs.ts";
import { waitForRun } from "./submit.ts";

/** One attempt to make. */
export interface Job {
  task: EvalTask;
  attempt: number;
}

/** What every attempt shares. */
export interface EvalContext {
  client: AosClient;
  workDir: string;
  stamp: string;
  models: ModelOverrides;
  mode: SandboxMode;
  timeoutMs: number | undefined;
  /** Ids of the runs submitted and not yet ended. */
  inFlight: Set<string>;
}

/** One task, once: repository, submit, wait, hidden check. */
export async function runAttempt(
  ctx: EvalContext,
  job: Job,
): Promise<AttemptResult> {
  const { task, attempt } = job;
  const dir = join(ctx.workDir, `${task.name}-${attempt}`);
  await Deno.mkdir(dir);
  let repo: string | null = null;
  if (task.repoDir) {
    repo = join(dir, "repo.git");
    await createTaskRepo({ sourceDir: task.repoDir, bareDir: repo });
  }
  const pushBranch = `aos-eval/${ctx.stamp}/${task.name}-${attempt}`;
  const workOrder = attemptWorkOrder(task, {
    repo,
    pushBranch,
    models: ctx.models,
  });
  const base = emptyAttempt(task.name, attempt, null);
  const started = performance.now();
  let run: RunRecord;
  try {
    run = (await ctx.client.submit(renderWorkOrderMd(workOrder))).run;
  } catch (error) {
    throw submitFailure(error, ctx.client);
  }
  base.run_id = run.id;
  ctx.inFlight.add(run.id);
  const waited = await waitForRun(ctx.client, run, {
    timeoutMs: ctx.timeoutMs,
    quiet: true,
    callerHandlesInterrupt: true,
  });
  run = waited.run;
  let status: string = run.status;
  let error = run.error;
  if (waited.timedOut && run.status !== "SUCCEEDED") {
    await ctx.client.cancel(run.id).catch(() => {});
    status = "TIMED_OUT";
    error = `Did not finish within ${ctx.timeoutMs! / 1000} s; cancelled`;
  }
  ctx.inFlight.delete(run.id);
  const detail = await runDetail(ctx.client, run.id);
  const measured = {
    ...base,
    status,
    claimed_pass: run.status === "SUCCEEDED",
    iterations: run.iteration,
    model_calls: detail.modelCalls,
    prompt_tokens: run.usage.prompt_tokens,
    completion_tokens: run.usage.completion_tokens,
    cost_usd: run.usage.cost_usd,
    wall_s: wallSeconds(run, started),
    model: detail.model,
    error,
  };
  if (run.status !== "SUCCEEDED") return measured;
  return { ...measured, ...await hiddenCheck(ctx, { dir, task, workOrder }) };
}

/** Checks out the pushed result and runs the hidden check on it. */
async function hiddenCheck(
  ctx: EvalContext,
  opts: { dir: string; task: EvalTask; workOrder: WorkOrder },
): Promise<Pick<AttemptResult, "hidden_check" | "hidden_check_detail">> {
  const { workOrder } = opts;
  const checkoutDir = join(opts.dir, "checkout");
  try {
    await checkoutResult({
      repo: workOrder.repo,
      branch: workOrder.push_branch!,
      dir: checkoutDir,
    });
  } catch (error) {
    return {
      hidden_check: "error",
      hidden_check_detail: `Cannot check out ${workOrder.push_branch}: ${
        (error as Error).message
      }`,
    };
  }
  const report = await runHiddenCheck({
    task: opts.task,
    workOrder,
    checkoutDir,
    mode: ctx.mode,
  });
  return { hidden_check: report.outcome, hidden_check_detail: report.detail };
}

/** Seconds the run took (its own timestamps), else as measured here. */
function wallSeconds(run: RunRecord, startedMs: number): number {
  const from = Date.parse(run.started_at ?? run.created_at);
  const to = Date.parse(run.finished_at ?? "");
  if (Number.isFinite(from) && Number.isFinite(to) && to >= from) {
    return (to - from) / 1000;
  }
  return (performance.now() - startedMs) / 1000;
}

/** The error that ends the eval when a submit is refused. */
function submitFailure(error: unknown, client: AosClient): unknown {
  if (
    error instanceof CliError &&
    error.details.some((line) => line.includes("AOS_ALLOW_LOCAL_REPOS"))
  ) {
    return inputError(
      `The AOS server at ${client.baseUrl} refuses local repositories: aos eval makes each task's repo/ ` +
        "folder a bare repository on this machine, so start the service with AOS_ALLOW_LOCAL_REPOS=true " +
        "(on the same machine, able to read the eval's temporary folder)",
      error.details,
    );
  }
  return error;
}
