/**
 * The run's budgets (`max_total_tokens`, `max_cost_usd`, `max_wall_time_s`)
 * as `on_budget: pause` watches them: what is used, what is left, and whether
 * one is reached. Wall time counts only while the run works: a paused run's
 * clock stops, and POST /runs/{id}/resume starts it again.
 */
import type { Usage } from "../../lib/factory/mod.ts";
import type { BudgetLimits, RunPause, RunRecord } from "../../lib/store/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import type { TurnBudget } from "../engineer/messages.ts";
import type { RunState } from "./messages.ts";

/** The budget a step reached, named as the work order field. */
export type BudgetReason = RunPause["reason"];

/** A reached budget, with the sentence the run's event and record give. */
export interface BudgetReached {
  reason: BudgetReason;
  message: string;
}

/** The turn's end that names each budget, as the SE reports it. */
export const TURN_END_REASON: Record<string, BudgetReason> = {
  token_budget: "max_total_tokens",
  cost_budget: "max_cost_usd",
  wall_time: "max_wall_time_s",
};

/** The run's limits (`workOrderOf` has put raised ones over the work order's). */
export function limitsOf(workOrder: WorkOrder): BudgetLimits {
  return {
    max_total_tokens: workOrder.max_total_tokens,
    max_cost_usd: workOrder.max_cost_usd ?? null,
    max_wall_time_s: workOrder.max_wall_time_s,
  };
}

/** Milliseconds the run has worked (never the time it spent paused). */
export function wallUsedMs(state: RunState, now = Date.now()): number {
  const wall = state.wall;
  if (!wall) return 0;
  return wall.usedMs +
    (wall.since === null ? 0 : Math.max(0, now - wall.since));
}

/** The first budget `record` has reached under `limits`, or null. */
export function budgetReached(
  record: RunRecord,
  limits: BudgetLimits,
  usedMs: number,
): BudgetReached | null {
  const { usage } = record;
  if (usage.total_tokens >= limits.max_total_tokens) {
    return {
      reason: "max_total_tokens",
      message:
        `The run used ${usage.total_tokens} of its ${limits.max_total_tokens} tokens (max_total_tokens)`,
    };
  }
  if (limits.max_cost_usd !== null && usage.cost_usd >= limits.max_cost_usd) {
    return {
      reason: "max_cost_usd",
      message: `The run cost $${
        usage.cost_usd.toFixed(4)
      } of its $${limits.max_cost_usd} (max_cost_usd)`,
    };
  }
  if (usedMs >= limits.max_wall_time_s * 1000) {
    return {
      reason: "max_wall_time_s",
      message: `The run worked ${
        Math.round(usedMs / 1000)
      } s of its ${limits.max_wall_time_s} s (max_wall_time_s)`,
    };
  }
  return null;
}

/**
 * What an SE turn may still spend: the limits less what the run used before
 * this turn (`charged` is the part of this turn already in the record, from
 * an earlier pause, which the turn counts itself from its journal).
 */
export function turnBudget(
  opts: {
    record: RunRecord;
    limits: BudgetLimits;
    state: RunState;
    pause: boolean;
  },
): TurnBudget {
  const { record, limits, state } = opts;
  const charged: Pick<Usage, "total_tokens" | "cost_usd"> = state.charged ??
    { total_tokens: 0, cost_usd: 0 };
  const usedMs = wallUsedMs(state);
  return {
    tokens: Math.max(
      0,
      limits.max_total_tokens -
        (record.usage.total_tokens - charged.total_tokens),
    ),
    costUsd: limits.max_cost_usd === null ? null : Math.max(
      0,
      limits.max_cost_usd - (record.usage.cost_usd - charged.cost_usd),
    ),
    // Only a pausing run's turn watches the clock; otherwise the deadline timer ends the run.
    deadlineAt: opts.pause
      ? Date.now() + limits.max_wall_time_s * 1000 - usedMs
      : null,
    pause: opts.pause,
  };
}

/** `a - b`, field by field (never below zero): the part of a turn's usage not yet charged. */
export function usageLess(a: Usage, b: Usage | null | undefined): Usage {
  if (!b) return a;
  const less = (x: number, y: number) => Math.max(0, x - y);
  return {
    prompt_tokens: less(a.prompt_tokens, b.prompt_tokens),
    completion_tokens: less(a.completion_tokens, b.completion_tokens),
    total_tokens: less(a.total_tokens, b.total_tokens),
    cached_tokens: less(a.cached_tokens, b.cached_tokens),
    reasoning_tokens: less(a.reasoning_tokens, b.reasoning_tokens),
    cost_usd: less(a.cost_usd, b.cost_usd),
  };
}

/** `limits` with the fields a resume gave replaced; absent ones kept. */
export function raisedLimits(
  limits: BudgetLimits,
  requested: {
    max_total_tokens?: number | undefined;
    max_cost_usd?: number | undefined;
    max_wall_time_s?: number | undefined;
  },
): BudgetLimits {
  return {
    max_total_tokens: requested.max_total_tokens ?? limits.max_total_tokens,
    max_cost_usd: requested.max_cost_usd ?? limits.max_cost_usd,
    max_wall_time_s: requested.max_wall_time_s ?? limits.max_wall_time_s,
  };
}
