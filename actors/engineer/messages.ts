/** What the Software Engineer actor accepts, and how other actors address it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** Messages of the Software Engineer actor. */
export const engineerMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("turn"),
    iteration: z.number(),
    /** The run's resolved base commit: the workspace is rebuilt on it, never on a moved branch. */
    baseCommit: z.string(),
  }),
]);
/** A message to the Software Engineer. */
export type EngineerMessage = z.infer<typeof engineerMessages>;

/** The Software Engineer of a run. */
export function engineerRef(runId: string): ActorRef<EngineerMessage> {
  return actorRef<EngineerMessage>(ACTOR.engineer, runId);
}
