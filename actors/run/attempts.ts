/**
 * Best-of-N (`attempts` > 1) as the run actor tracks it: iteration 1 runs N
 * SE turns in parallel, the Tool Runner checks each as it ends, and once
 * every attempt is checked the PO reviews the ones that pass. Each reply is
 * recorded once per (iteration, attempt), so a redelivered one changes nothing.
 */
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import type { TurnBudget } from "../engineer/messages.ts";
import type { AttemptsState } from "./messages.ts";

/** How many attempts iteration `iteration` runs: `attempts` in iteration 1, else one. */
export function attemptCount(workOrder: WorkOrder, iteration: number): number {
  return iteration === 1 ? workOrder.attempts : 1;
}

/** A fresh best-of-N iteration of `count` attempts. */
export function startAttempts(count: number): AttemptsState {
  return { count, engineered: {}, checked: {} };
}

/** The attempt numbers 1..count. */
export function attemptNumbers(state: AttemptsState): number[] {
  return Array.from({ length: state.count }, (_, i) => i + 1);
}

/**
 * One attempt's share of the turn budget: the run's budget covers all the
 * attempts together, so each may spend 1/N of what is left.
 */
export function shareBudget(budget: TurnBudget, count: number): TurnBudget {
  return {
    ...budget,
    tokens: Math.floor(budget.tokens / count),
    costUsd: budget.costUsd === null ? null : budget.costUsd / count,
  };
}

/** Why a checked attempt is left out before the PO (the TR's reply), or null when it goes to the PO. */
export function checkedDropReason(
  reply: { ok: boolean; failedCommands: number; changed?: boolean | undefined },
): string | null {
  if (!reply.ok || reply.failedCommands > 0) {
    return "acceptance commands failed";
  }
  if (reply.changed === false) return "no change";
  return null;
}

/** Whether every attempt has been checked (or its SE turn failed). */
export function allChecked(state: AttemptsState): boolean {
  return attemptNumbers(state).every((k) => state.checked[k] !== undefined);
}

/** Attempts whose SE turn ended with a packet: what the PO reads. */
export function engineeredAttempts(state: AttemptsState): number[] {
  return attemptNumbers(state).filter((k) => state.engineered[k] === true);
}

/**
 * The ATTEMPTS_DROPPED payload for attempts that have a packet but do not
 * reach the PO (a failed SE turn was announced as it failed), or null.
 */
export function droppedBeforeReview(
  state: AttemptsState,
): { attempts: number[]; reason: string } | null {
  const dropped = engineeredAttempts(state).filter((k) =>
    state.checked[k]?.passes === false
  );
  if (dropped.length === 0) return null;
  const reasons = new Set(dropped.map((k) => state.checked[k]?.reason));
  const reason = reasons.size === 1
    ? [...reasons][0] ?? "dropped"
    : dropped.map((k) => `attempt ${k}: ${state.checked[k]?.reason}`).join(
      "; ",
    );
  return { attempts: dropped, reason };
}

/** Why the run goes on with `attempt`, for ATTEMPT_PICKED. */
export function pickReason(opts: {
  decision: "PASS" | "FAIL";
  candidates: number[];
  iteration: number;
}): string {
  const { decision, candidates } = opts;
  if (decision === "PASS") {
    return candidates.length > 1
      ? `picked by the PO among attempts ${candidates.join(", ")}`
      : "the only attempt passing acceptance; the PO judged it alone";
  }
  return candidates.length === 0
    ? `no attempt passed acceptance: iteration ${
      opts.iteration + 1
    } continues from the best one (most acceptance commands passing, then fewest refused paths, then lowest number)`
    : `the PO failed ${
      candidates.length > 1 ? "every candidate" : "the only candidate"
    }: iteration ${opts.iteration + 1} continues from this one`;
}
