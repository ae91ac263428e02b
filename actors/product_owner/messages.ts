/** What the Product Owner actor accepts, and how other actors address it. */
import { z } from "zod";
import { type ActorRef, actorRef } from "../../runtime/mod.ts";
import { ACTOR } from "../support/deps.ts";

/** Messages of the Product Owner actor. */
export const productOwnerMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("review"),
    iteration: z.number(),
    /** Best-of-N: the attempts the Tool Runner checked (those whose SE turn ended with a packet). */
    attempts: z.array(z.number().int().min(1)).optional(),
  }),
]);
/** A message to the Product Owner. */
export type ProductOwnerMessage = z.infer<typeof productOwnerMessages>;

/** The Product Owner of a run. */
export function productOwnerRef(runId: string): ActorRef<ProductOwnerMessage> {
  return actorRef<ProductOwnerMessage>(ACTOR.productOwner, runId);
}
