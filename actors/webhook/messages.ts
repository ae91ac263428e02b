/** What the webhook actor accepts, and how the run actor addresses it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** Messages of the webhook actor: one delivery attempt is due. */
export const webhookMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("deliver") }),
]);
/** A message to the webhook actor. */
export type WebhookMessage = z.infer<typeof webhookMessages>;

/** What the run actor spawns a webhook actor with. */
export const webhookInit = z.object({
  runId: z.string(),
  event: z.enum([
    "run.started",
    "run.succeeded",
    "run.failed",
    "run.cancelled",
    "run.awaiting_approval",
    "run.paused",
  ]),
  deliveryId: z.string(),
});
/** The spawn init of a webhook actor. */
export type WebhookInit = z.infer<typeof webhookInit>;

/** One delivery's progress, kept across attempts and restarts. */
export interface WebhookState extends WebhookInit {
  /** Number of the next attempt (1 first). */
  attempt: number;
  /** Epoch ms of attempt 1; retries stop AOS_WEBHOOK_RETRY_FOR_S after it. */
  firstAttemptAt: number | null;
  done: boolean;
}

/** The webhook actor delivering `event` of run `runId`. */
export function webhookRef(
  runId: string,
  event: string,
): ActorRef<WebhookMessage> {
  return actorRef<WebhookMessage>(ACTOR.webhook, `${runId}.${event}`);
}
