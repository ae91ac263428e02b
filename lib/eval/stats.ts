/** Totals of an eval: solve rate with its Wilson interval, false PASS, tokens and time per solved task. */
import type { AttemptResult, EvalTotals } from "./result.ts";

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of `successes` out of `trials` (95 % by
 * default): unlike the normal approximation it stays inside [0, 1] and is
 * not a single point at 0 or n successes, which matters for a dozen tasks.
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  z = Z95,
): [number, number] {
  if (trials <= 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) *
    Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** Whether an attempt counts as solved: its hidden check passed. */
export function isSolved(attempt: AttemptResult): boolean {
  return attempt.hidden_check === "passed";
}

/** Whether the agent claimed a pass the hidden check refuted. */
export function isFalsePass(attempt: AttemptResult): boolean {
  return attempt.claimed_pass && attempt.hidden_check === "failed";
}

/** The totals of `attempts`. */
export function evalTotals(attempts: readonly AttemptResult[]): EvalTotals {
  const n = attempts.length;
  const solved = attempts.filter(isSolved).length;
  const sum = (pick: (a: AttemptResult) => number) =>
    attempts.reduce((total, a) => total + pick(a), 0);
  const promptTokens = sum((a) => a.prompt_tokens);
  const completionTokens = sum((a) => a.completion_tokens);
  const wall = sum((a) => a.wall_s);
  const priced = attempts.filter((a) => a.cost_usd !== null);
  const perSolved = (total: number) => solved > 0 ? total / solved : null;
  return {
    attempts: n,
    solved,
    solve_rate: n > 0 ? solved / n : 0,
    solve_rate_ci95: wilsonInterval(solved, n),
    false_pass: attempts.filter(isFalsePass).length,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    prompt_tokens_per_task: n > 0 ? promptTokens / n : 0,
    prompt_tokens_per_solved: perSolved(promptTokens),
    tokens_per_solved: perSolved(promptTokens + completionTokens),
    wall_s: wall,
    seconds_per_solved: perSolved(wall),
    cost_usd: priced.length > 0
      ? priced.reduce((total, a) => total + (a.cost_usd ?? 0), 0)
      : null,
  };
}

/** One task's attempts taken together, for tables and comparisons. */
export interface TaskSummary {
  task: string;
  attempts: number;
  solved: number;
  false_pass: number;
  /** Mean prompt tokens per attempt. */
  prompt_tokens: number;
  /** Mean wall seconds per attempt. */
  wall_s: number;
}

/** Per-task summaries of `attempts`, in the order tasks first appear. */
export function taskSummaries(
  attempts: readonly AttemptResult[],
): TaskSummary[] {
  const byTask = new Map<string, AttemptResult[]>();
  for (const attempt of attempts) {
    const list = byTask.get(attempt.task) ?? [];
    list.push(attempt);
    byTask.set(attempt.task, list);
  }
  return [...byTask].map(([task, list]) => ({
    task,
    attempts: list.length,
    solved: list.filter(isSolved).length,
    false_pass: list.filter(isFalsePass).length,
    prompt_tokens: list.reduce((t, a) => t + a.prompt_tokens, 0) /
      list.length,
    wall_s: list.reduce((t, a) => t + a.wall_s, 0) / list.length,
  }));
}
