/**
 * `aos eval SUITE_DIR`: submits every task of a suite through the API, waits
 * for each run, runs its hidden check here (in the sandbox, on a fresh
 * checkout of the pushed result), and reports solve rate, false PASS,
 * tokens and time. The repositories live on this machine, so the service
 * must see the same file system and allow local repositories.
 */
import { join } from "node:path";
import {
  type AttemptResult,
  attemptWorkOrder,
  checkoutResult,
  createTaskRepo,
  EVAL_RESULT_FORMAT,
  type EvalResult,
  evalResultSchema,
  type EvalTask,
  evalTotals,
  loadSuite,
  machineDescription,
  type ModelOverrides,
  runHiddenCheck,
  SuiteError,
} from "../lib/eval/mod.ts";
import { resolveSandboxMode, type SandboxMode } from "../lib/sandbox/mod.ts";
import type { RunRecord } from "../lib/store/types.ts";
import { renderWorkOrderMd, type WorkOrder } from "../lib/work_order/mod.ts";
import { AosClient } from "./client.ts";
import { CliError, EXIT, type ExitCode, inputError } from "./errors.ts";
import { formatMarkdown, formatReport } from "./eval_format.ts";
import { runDetail } from "./eval_runs.ts";
import { printLine, printNote } from "./output.ts";
import { waitForRun } from "./submit.ts";

/** Options of `aos eval`. */
export interface EvalOptions {
  repeat: number;
  concurrency: number;
  model?: string;
  seModel?: string;
  poModel?: string;
  quick?: boolean;
  /** Only these task names. */
  tasks?: string[];
  json?: string;
  markdown?: string;
  /** Seconds one run may take before it is cancelled. */
  timeout?: number;
  /** Keep the task repositories and checkouts (their folder is printed). */
  keep?: boolean;
}

/** One attempt to make. */
interface Job {
  task: EvalTask;
  attempt: number;
}

/** What every attempt shares. */
interface EvalContext {
  client: AosClient;
  workDir: string;
  stamp: string;
  models: ModelOverrides;
  mode: SandboxMode;
  timeoutMs: number | undefined;
  /** Ids of the runs submitted and not yet ended. */
  inFlight: Set<string>;
}

/** Runs `aos eval`; returns the exit code (0 once the eval has run, whatever it measured). */
export async function evalCommand(
  suiteDir: string,
  opts: EvalOptions,
): Promise<ExitCode> {
  const suite = await loadSuite(suiteDir).catch((error) => {
    throw error instanceof SuiteError
      ? inputError(error.message, error.details)
      : error;
  });
  let tasks = suite.tasks;
  if (opts.quick) {
    if (suite.quick.length === 0) {
      throw inputError(
        `Suite "${suiteDir}" has no quick subset: list task names under 'quick:' in ${
          join(suiteDir, "suite.yml")
        }`,
      );
    }
    tasks = tasks.filter((t) => suite.quick.includes(t.name));
  }
  if (opts.tasks) {
    const unknown = opts.tasks.filter((n) => !tasks.some((t) => t.name === n));
    if (unknown.length > 0 || opts.tasks.length === 0) {
      throw inputError(
        `--tasks: no task ${
          unknown.map((n) => `"${n}"`).join(", ") || "named"
        } in suite "${suiteDir}"${opts.quick ? " (quick subset)" : ""}`,
        [`Tasks: ${tasks.map((t) => t.name).join(", ")}`],
      );
    }
    tasks = tasks.filter((t) => opts.tasks!.includes(t.name));
  }
  const models: ModelOverrides = {
    model: opts.model ?? null,
    se_model: opts.seModel ?? null,
    po_model: opts.poModel ?? null,
  };
  // Every work order is checked before anything is submitted.
  for (const task of tasks) {
    try {
      attemptWorkOrder(task, {
        repo: task.repoDir ? "/aos-eval/check.git" : null,
        pushBranch: "aos-eval/check",
        models,
      });
    } catch (error) {
      if (error instanceof SuiteError) {
        throw inputError(error.message, error.details);
      }
      throw error;
    }
  }
  const mode = await sandboxMode();
  const client = AosClient.fromEnv();
  const workDir = await Deno.makeTempDir({ prefix: "aos-eval-" });
  // The service reads the task repositories; it may run as another user.
  await Deno.chmod(workDir, 0o755);
  const ctx: EvalContext = {
    client,
    workDir,
    stamp: new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, ""),
    models,
    mode,
    timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
    inFlight: new Set(),
  };
  const jobs: Job[] = tasks.flatMap((task) =>
    Array.from({ length: opts.repeat }, (_, i) => ({ task, attempt: i + 1 }))
  );
  const startedAt = new Date().toISOString();
  // Ctrl+C stops the eval: the runs it started are cancelled, not left running.
  const onInterrupt = () => {
    printNote(
      `\nStopped; cancelling ${ctx.inFlight.size} run(s) in flight: ${
        [...ctx.inFlight].join(", ") || "none"
      }`,
    );
    Promise.allSettled([...ctx.inFlight].map((id) => client.cancel(id)))
      .finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  let attempts: AttemptResult[];
  try {
    let done = 0;
    attempts = await pool(jobs, opts.concurrency, async (job) => {
      const result = await runAttempt(ctx, job);
      done++;
      printNote(`[${done}/${jobs.length}] ${progressLine(result)}`);
      return result;
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    if (opts.keep) printNote(`Task repositories kept in ${workDir}`);
    else await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
  const result: EvalResult = evalResultSchema.parse({
    format: EVAL_RESULT_FORMAT,
    runner: "aos",
    suite: suiteDir,
    tasks: tasks.map((t) => t.name),
    models,
    options: {
      repeat: opts.repeat,
      concurrency: opts.concurrency,
      quick: Boolean(opts.quick),
      timeout_s: opts.timeout ?? null,
    },
    machine: machineDescription(),
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    attempts,
    totals: evalTotals(attempts),
  });
  printLine(formatReport(result));
  if (opts.json) await writeOutput(opts.json, JSON.stringify(result, null, 2));
  if (opts.markdown) await writeOutput(opts.markdown, formatMarkdown(result));
  return EXIT.succeeded;
}

/** The sandbox for hidden checks: bwrap, or none when AOS_SANDBOX=none says so. */
async function sandboxMode(): Promise<SandboxMode> {
  const setting = Deno.env.get("AOS_SANDBOX") ?? "auto";
  if (setting !== "auto" && setting !== "bwrap" && setting !== "none") {
    throw inputError(
      `AOS_SANDBOX must be auto, bwrap or none, got "${setting}"`,
    );
  }
  try {
    return await resolveSandboxMode(setting);
  } catch (error) {
    throw inputError(`Cannot run hidden checks: ${(error as Error).message}`);
  }
}

/** Runs `work` over `items`, at most `limit` at once; results in the order of `items`. */
async function pool<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return results;
}

/** One task, once: repository, submit, wait, hidden check. */
async function runAttempt(ctx: EvalContext, job: Job): Promise<AttemptResult> {
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
  const base: AttemptResult = {
    task: task.name,
    attempt,
    run_id: null,
    status: "ERROR",
    claimed_pass: false,
    hidden_check: "not_run",
    hidden_check_detail: null,
    iterations: null,
    model_calls: null,
    prompt_tokens: 0,
    completion_tokens: 0,
    cost_usd: null,
    wall_s: 0,
    model: null,
    error: null,
  };
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

/** `task #n: STATUS, hidden check …, 12.3 s`. */
function progressLine(a: AttemptResult): string {
  return `${a.task} #${a.attempt}: ${a.status}, hidden check ${
    a.hidden_check.replace("_", " ")
  }, ${a.wall_s.toFixed(1)} s${a.run_id ? ` (run ${a.run_id})` : ""}`;
}

/** Writes an output file; a failure is an input error naming the file. */
async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text.endsWith("\n") ? text : `${text}\n`);
  } catch (error) {
    throw inputError(`Cannot write "${path}": ${(error as Error).message}`);
  }
}
