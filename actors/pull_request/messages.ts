/** What the pull-request actor accepts, and how the run actor addresses it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** Messages of the pull-request actor: open or update the PR for the pushed branch. */
export const pullRequestMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("open"),
    /** The accepted iteration: its tool report and verdict go into the body. */
    iteration: z.number(),
    branch: z.string(),
  }),
]);
/** A message to the pull-request actor. */
export type PullRequestMessage = z.infer<typeof pullRequestMessages>;

/** The pull-request actor of a run. */
export function pullRequestRef(runId: string): ActorRef<PullRequestMessage> {
  return actorRef<PullRequestMessage>(ACTOR.pullRequest, runId);
}
