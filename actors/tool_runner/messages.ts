/** What the Tool Runner actor accepts, and how other actors address it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** Messages of the Tool Runner actor. */
export const toolRunnerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("prepare") }),
  z.object({
    type: z.literal("apply"),
    iteration: z.number(),
    /** The run's resolved base commit (see `prepared`). */
    baseCommit: z.string(),
    /** Attempt K of a best-of-N iteration: its packet applied, its own tool report. */
    attempt: z.number().int().min(1).optional(),
  }),
  z.object({
    type: z.literal("finalize"),
    iteration: z.number(),
    /** The base the accepted iteration was tested on: the pushed commit's parent. */
    baseCommit: z.string(),
    /** False: commit only (a run awaiting approval); the push comes with a later finalize. */
    push: z.boolean().optional(),
  }),
]);
/** A message to the Tool Runner. */
export type ToolRunnerMessage = z.infer<typeof toolRunnerMessages>;

/** The Tool Runner of a run. */
export function toolRunnerRef(runId: string): ActorRef<ToolRunnerMessage> {
  return actorRef<ToolRunnerMessage>(ACTOR.toolRunner, runId);
}
