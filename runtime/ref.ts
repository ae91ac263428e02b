/** Making typed actor references. */
import type { ActorDefinition, ActorRef, Message } from "./types.ts";

/**
 * A reference to the actor `type`/`id` that accepts messages `M`. The type
 * parameter is the caller's promise about what the actor handles (its
 * definition's message union); the runtime still validates every message
 * against the receiver's schema on delivery.
 */
export function actorRef<M extends Message>(
  type: string,
  id: string,
): ActorRef<M> {
  return { type, id } as ActorRef<M>;
}

/** A reference to the actor `id` of the type `def` defines, typed by its messages. */
export function refTo<S, M extends Message>(
  def: ActorDefinition<S, M>,
  id: string,
): ActorRef<M> {
  return actorRef<M>(def.type, id);
}
