/** What the trigger actors accept, and how they are addressed. */
import { z } from "zod";
import { triggerEventSchema } from "../../lib/trigger/mod.ts";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** The trigger actor's one message: a verified delivery to act on. */
export const triggerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("handle"), event: triggerEventSchema }),
]);
/** A message to the trigger actor. */
export type TriggerMessage = z.infer<typeof triggerMessages>;

/** The trigger actor of one delivery (`kind:delivery id`: one actor per delivery). */
export function triggerRef(
  kind: string,
  deliveryId: string,
): ActorRef<TriggerMessage> {
  return actorRef<TriggerMessage>(ACTOR.trigger, `${kind}:${deliveryId}`);
}

/** The reply actor's message: run `status` reached, answer on the thread. */
export const replyMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ended"), status: z.string() }),
]);
/** A message to the reply actor. */
export type ReplyMessage = z.infer<typeof replyMessages>;

/** The reply actor of run `runId`: its outcome goes back to the issue or pull request. */
export function replyRef(runId: string): ActorRef<ReplyMessage> {
  return actorRef<ReplyMessage>(ACTOR.triggerReply, runId);
}
