/** Shapes of the runtime's own KV records and of one prepared commit. */
import type { ActorAddress, Message, Mutation } from "./types.ts";

/** Persistent part of an actor. */
export interface ActorRecord {
  state: unknown;
  owner: ActorAddress;
  /** Set by `ctx.stop()`: further mail is dropped. */
  stopped?: boolean;
}

/** One mailbox entry: a message, or the spawn of the actor it sits in. */
export interface MailEntry {
  id: string;
  kind: "msg" | "spawn";
  msg?: Message;
  init?: unknown;
  owner?: ActorAddress;
  /** Attempt the next delivery will be (1 on the first). */
  attempt: number;
  /** Not to be delivered before this time (retry backoff), ms since epoch. */
  due?: number;
  /** Redeliveries after transient storage errors (they do not count as attempts). */
  transientRetries?: number;
  /** Error of the previous attempt. */
  error?: string;
}

/** Lease of one actor. `worker: null` with `cancelled` marks a cancelled actor. */
export interface LeaseRecord {
  worker: string | null;
  cancelled?: boolean;
  at: number;
}

/** Heartbeat of a worker. */
export interface WorkerRecord {
  expiresAt: number;
}

/** A durable timer: becomes a mailbox entry of `to` when due. */
export interface TimerRecord {
  to: ActorAddress;
  entry: MailEntry;
}

/**
 * Value of the wake hint key (watch mode): which actors the commit that
 * bumped the wake counter delivered mail to, so a worker holding one drives
 * it without scanning first. A watch may skip values and a packed commit
 * keeps the last spec's hint; the counter tells (it moved by more than one).
 */
export interface WakeHint {
  /** `refId`s of the recipients (at most `MAX_WAKE_TARGETS`; empty: scan). */
  to: string[];
}

/** Wake-up sent through a KV queue. */
export interface QueueWake {
  rtWake: string;
}

/** Everything one step (or one outside send) commits, all or nothing. */
export interface CommitSpec {
  checks: { key: Deno.KvKey; versionstamp: string | null }[];
  mutations: Mutation[];
  enqueues: { value: unknown; delay: number }[];
}

/** Outcome of committing one spec. */
export type CommitOutcome =
  | { ok: true; versionstamp: string }
  | { ok: false; error?: undefined }
  | { ok: false; error: Error };

/** A fresh empty spec. */
export function emptySpec(): CommitSpec {
  return { checks: [], mutations: [], enqueues: [] };
}
