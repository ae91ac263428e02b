/**
 * The result of an eval (`aos eval --json FILE`), one zod schema for every
 * runner: AOS writes it, and so may any other agent run on the same suite
 * (a bench driving mini-swe-agent), so two result files compare side by side.
 */
import { z } from "zod";

/** The `format` tag of a result file; bumped when a field changes meaning. */
export const EVAL_RESULT_FORMAT = "aos-eval-result/1";

/**
 * How the hidden check ended: `passed` / `failed` (its commands ran),
 * `not_run` (no result to check: the run did not succeed), `error` (the
 * check could not be run: the result commit could not be checked out, a
 * setup command failed).
 */
export const hiddenCheckOutcomeSchema = z.enum([
  "passed",
  "failed",
  "not_run",
  "error",
]);
/** How the hidden check ended. */
export type HiddenCheckOutcome = z.infer<typeof hiddenCheckOutcomeSchema>;

const count = z.number().int().min(0);

/** One attempt at one task: one run of the agent and its hidden check. */
export const attemptResultSchema = z.strictObject({
  /** The task's folder name in the suite. */
  task: z.string().min(1),
  /** 1-based, up to `--repeat`. */
  attempt: z.number().int().min(1),
  /** The runner's id for the run (AOS: the run id), null when it never started. */
  run_id: z.string().nullable(),
  /**
   * The run's final status: AOS's `SUCCEEDED` / `FAILED` / `CANCELLED`, or
   * `TIMED_OUT` (the eval stopped waiting and cancelled it), `ERROR` (it could
   * not be submitted or followed). Other runners use the same words.
   */
  status: z.string().min(1),
  /** The agent said the task is done (AOS: the PO said PASS, the run SUCCEEDED). */
  claimed_pass: z.boolean(),
  hidden_check: hiddenCheckOutcomeSchema,
  /** The first failing hidden command and the tail of its output, or why it could not run. */
  hidden_check_detail: z.string().nullable(),
  /** Factory iterations (SE → TR → PO rounds); null for runners without them. */
  iterations: count.nullable(),
  /** Chat completion requests made (every agent); null when unknown. */
  model_calls: count.nullable(),
  prompt_tokens: count,
  completion_tokens: count,
  /** Estimated cost in dollars; null when the runner does not price usage. */
  cost_usd: z.number().min(0).nullable(),
  /** Seconds from the run's start to its end (the agent's time, hidden check excluded). */
  wall_s: z.number().min(0),
  /** The model the agent (AOS: the SE) talked to, as the runner recorded it. */
  model: z.string().nullable(),
  /** Why the run failed or could not be run, when it did not succeed. */
  error: z.string().nullable(),
});
/** One attempt at one task. */
export type AttemptResult = z.infer<typeof attemptResultSchema>;

/** An attempt before anything happened: an ERROR with nothing run, to be filled in. */
export function emptyAttempt(
  task: string,
  attempt: number,
  model: string | null,
): AttemptResult {
  return {
    task,
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
    model,
    error: null,
  };
}

/** The totals over all attempts. */
export const evalTotalsSchema = z.strictObject({
  attempts: count,
  /** Attempts whose hidden check passed. */
  solved: count,
  /** solved / attempts (0 with no attempts). */
  solve_rate: z.number().min(0).max(1),
  /** 95 % Wilson score interval of the solve rate, [low, high]. */
  solve_rate_ci95: z.tuple([z.number(), z.number()]),
  /** Attempts the agent claimed as passed whose hidden check failed. */
  false_pass: count,
  prompt_tokens: count,
  completion_tokens: count,
  /** Mean prompt tokens per attempt. */
  prompt_tokens_per_task: z.number().min(0),
  /** Prompt tokens of all attempts divided by the solved ones; null when none solved. */
  prompt_tokens_per_solved: z.number().min(0).nullable(),
  /** Prompt + completion tokens of all attempts divided by the solved ones; null when none solved. */
  tokens_per_solved: z.number().min(0).nullable(),
  /** Sum of the attempts' wall times. */
  wall_s: z.number().min(0),
  /** Wall seconds of all attempts divided by the solved ones; null when none solved. */
  seconds_per_solved: z.number().min(0).nullable(),
  /** Sum of the priced attempts; null when none was priced. */
  cost_usd: z.number().min(0).nullable(),
});
/** The totals over all attempts. */
export type EvalTotals = z.infer<typeof evalTotalsSchema>;

/** A whole eval: what ran, how, every attempt and the totals. */
export const evalResultSchema = z.strictObject({
  format: z.literal(EVAL_RESULT_FORMAT),
  /** Which agent ran the tasks: `aos`, `mini-swe-agent`, … */
  runner: z.string().min(1),
  /** The suite folder as given. */
  suite: z.string(),
  /** The tasks run, in order (after `--quick`). */
  tasks: z.array(z.string()),
  /** Model overrides asked for (null: the service's default). */
  models: z.strictObject({
    model: z.string().nullable(),
    se_model: z.string().nullable(),
    po_model: z.string().nullable(),
  }),
  options: z.strictObject({
    repeat: z.number().int().min(1),
    concurrency: z.number().int().min(1),
    quick: z.boolean(),
    /** Seconds one run may take before the eval cancels it; null: no limit. */
    timeout_s: z.number().nullable(),
  }),
  /** Where it ran: OS, architecture, CPU count. */
  machine: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  attempts: z.array(attemptResultSchema),
  totals: evalTotalsSchema,
});
/** A whole eval. */
export type EvalResult = z.infer<typeof evalResultSchema>;

/** This machine, for `machine`: e.g. `linux x86_64, 2 CPUs`. */
export function machineDescription(): string {
  let cpus = 0;
  try {
    cpus = navigator.hardwareConcurrency;
  } catch { /* unknown */ }
  return `${Deno.build.os} ${Deno.build.arch}, ${cpus || "?"} CPUs`;
}
