/** Identity helper that checks an actor definition (a missing handler is a type error). */
import type { ActorDefinition, Message } from "./types.ts";

/** Returns `def` unchanged; its `handlers` must cover every message type. */
export function defineActor<S, M extends Message>(
  def: ActorDefinition<S, M>,
): ActorDefinition<S, M> {
  return def;
}
