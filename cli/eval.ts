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
  EVAL_RESULT_FORMAT,
  type EvalResult,
  evalResultSchema,
  evalTotals,
  loadSuite,
  machineDescription,
  type ModelOverrides,
  SuiteError,
} from "../lib/eval/mod.ts";
import { resolveSandboxMode, type SandboxMode } from "../lib/sandbox/mod.ts";
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import { type EvalContext, type Job, runAttempt } from "./eval_attempt.ts";
import { formatMarkdown, formatReport } from "./eval_format.ts";
import { printLine, printNote } from "./output.ts";

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
  let stopping: Promise<unknown> | null = null;
  const onInterrupt = () => {
    if (stopping) return;
    printNote(
      `\nStopped; cancelling ${ctx.inFlight.size} run(s) in flight: ${
        [...ctx.inFlight].join(", ") || "none"
      }`,
    );
    stopping = Promise.allSettled(
      [...ctx.inFlight].map((id) => client.cancel(id)),
    );
    stopping.finally(() => Deno.exit(130));
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
  // The cancelled runs may end before their cancels answer: a stopped eval
  // still exits 130, with no result written as if it had finished.
  if (stopping) {
    await stopping;
    Deno.exit(130);
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
