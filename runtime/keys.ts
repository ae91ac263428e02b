/** Key layout of the runtime under its prefix (see README.md). */
import type { ActorAddress } from "./types.ts";

/** Builds every key the runtime reads or writes. */
export class RuntimeKeys {
  constructor(readonly prefix: Deno.KvKey) {}

  /** `{ state, owner, stopped? }` of one actor; written only by its lease holder. */
  actor(ref: ActorAddress): Deno.KvKey {
    return [...this.prefix, "actor", ref.type, ref.id];
  }

  /** All mailbox entries of one actor, ordered by message id. */
  mailbox(ref: ActorAddress): Deno.KvKey {
    return [...this.prefix, "mail", ref.type, ref.id];
  }

  /** One mailbox entry. */
  mail(ref: ActorAddress, messageId: string): Deno.KvKey {
    return [...this.prefix, "mail", ref.type, ref.id, messageId];
  }

  /** Index of actors that may have mail: a counter bumped by every mailbox write. */
  pendingIndex(): Deno.KvKey {
    return [...this.prefix, "pending"];
  }

  /** The pending-mail counter of one actor. */
  pending(ref: ActorAddress): Deno.KvKey {
    return [...this.prefix, "pending", ref.type, ref.id];
  }

  /** The lease of one actor: which worker may commit its steps, or that it was cancelled. */
  lease(ref: ActorAddress): Deno.KvKey {
    return [...this.prefix, "lease", ref.type, ref.id];
  }

  /** All worker heartbeats. */
  workers(): Deno.KvKey {
    return [...this.prefix, "worker"];
  }

  /** Heartbeat record of one worker. */
  worker(workerId: string): Deno.KvKey {
    return [...this.prefix, "worker", workerId];
  }

  /** All durable timers, ordered by due time. */
  timers(): Deno.KvKey {
    return [...this.prefix, "timer"];
  }

  /** One durable timer. */
  timer(due: number, messageId: string): Deno.KvKey {
    return [...this.prefix, "timer", due, messageId];
  }

  /** All dead letters, ordered by message id. */
  deadLetters(): Deno.KvKey {
    return [...this.prefix, "dead"];
  }

  /** One dead letter. */
  deadLetter(messageId: string): Deno.KvKey {
    return [...this.prefix, "dead", messageId];
  }

  /** Counter bumped by each commit that delivers mail, for `kv.watch` wake-ups. */
  wake(): Deno.KvKey {
    return [...this.prefix, "wake"];
  }

  /** The `WakeHint` of the last commit that bumped `wake`. */
  wakeHint(): Deno.KvKey {
    return [...this.prefix, "wake_hint"];
  }
}

/** Reads the actor ref from a key ending in `type, id`. */
export function refFromKey(key: Deno.KvKey): ActorAddress {
  return {
    type: String(key[key.length - 2]),
    id: String(key[key.length - 1]),
  };
}

/** A map key for an actor ref. */
export function refId(ref: ActorAddress): string {
  return `${ref.type}\u0000${ref.id}`;
}
