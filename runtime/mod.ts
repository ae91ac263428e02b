/**
 * A durable actor runtime on Deno KV: typed actors, one atomic commit per
 * message, in-process wake-ups with group commit, leases for many workers,
 * durable timers, retries and dead letters. See README.md.
 */
export { addMutations } from "./atomic.ts";
export { defineActor } from "./define.ts";
export { CommitConflictError, TerminalError } from "./errors.ts";
export { RuntimeKeys } from "./keys.ts";
export { actorRef, refTo } from "./ref.ts";
export { nextSeq } from "./seq.ts";
export { isTransient, retryTransient } from "./transient.ts";
export { ActorSystem } from "./system.ts";
export type {
  ActorAddress,
  ActorContext,
  ActorDefinition,
  ActorRef,
  DeadLetter,
  Handlers,
  LogEvent,
  LoggedEvent,
  Message,
  Mutation,
  RuntimeStats,
  SystemOptions,
} from "./types.ts";
