/** What the Software Engineer actor accepts, and how other actors address it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** The budgets a turn works within, as the run computed them when it sent the turn. */
export const turnBudgetSchema = z.object({
  /** Tokens this turn may spend in all (what it already spent before a pause included). */
  tokens: z.number(),
  /** Dollars this turn may spend in all; null: no `max_cost_usd`. */
  costUsd: z.number().nullable(),
  /** Epoch ms after which no model call starts; null: the run's deadline timer bounds it. */
  deadlineAt: z.number().nullable(),
  /** `on_budget: pause`: a budget reached pauses the turn instead of ending it. */
  pause: z.boolean(),
});
/** The budgets a turn works within. */
export type TurnBudget = z.infer<typeof turnBudgetSchema>;

/** Messages of the Software Engineer actor. */
export const engineerMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("turn"),
    iteration: z.number(),
    /** The run's resolved base commit: the workspace is rebuilt on it, never on a moved branch. */
    baseCommit: z.string(),
    /** Absent in turns sent before budgets travelled with them: the work order's token budget. */
    budget: turnBudgetSchema.optional(),
    /** Attempt K of a best-of-N iteration: its own working copy, journal, model and artifacts. */
    attempt: z.number().int().min(1).optional(),
  }),
]);
/** A message to the Software Engineer. */
export type EngineerMessage = z.infer<typeof engineerMessages>;

/**
 * The Software Engineer of a run; attempt K of a best-of-N iteration has an
 * actor of its own (spawned by the run, which owns it), so attempts run in parallel.
 */
export function engineerRef(
  runId: string,
  attempt?: number,
): ActorRef<EngineerMessage> {
  return actorRef<EngineerMessage>(
    ACTOR.engineer,
    attempt === undefined ? runId : `${runId}.attempt-${attempt}`,
  );
}
