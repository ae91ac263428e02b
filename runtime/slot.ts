/** In-memory view of one actor whose lease this worker holds. */
import type { ActorRecord, MailEntry } from "./records.ts";
import type { ActorAddress, ActorDefinition, Message } from "./types.ts";

/** A registered definition with its types erased. */
// deno-lint-ignore no-explicit-any -- handlers are contravariant in their message type; erased at registration
export type AnyDefinition = ActorDefinition<any, Message>;

/** Why a running handler's signal was aborted. */
export type AbortReason = "stop" | "cancel" | "lost";

/** One owned actor. */
export interface Slot {
  ref: ActorAddress;
  /** Map key, see `refId`. */
  id: string;
  def: AnyDefinition;
  /** Versionstamp of our lease; every step commit checks it. */
  leaseVs: string;
  /** Last committed record; null until the first step creates it. */
  record: ActorRecord | null;
  /** Known mailbox entries, ordered by id. */
  queue: MailEntry[];
  /** Versionstamp of the pending counter as last seen or written by us. */
  knownPendingVs: string | null;
  /** The drive loop must re-list the mailbox before the next step (see `markReload`). */
  needsReload: boolean;
  /** A versionstamp the pending counter had when the reload was asked for (null: unknown). */
  reloadPendingVs: string | null;
  /** The pending counter was confirmed absent since the last delivery. */
  verified: boolean;
  /** The drive loop, while it runs. */
  driving: Promise<void> | null;
  /** Abort controller of the running handler. */
  controller: AbortController | null;
  abortReason: AbortReason | null;
  /** Last time a step finished or mail arrived (ms). */
  lastActive: number;
  /** The lease is gone (lost, cancelled, released): do nothing more. */
  dropped: boolean;
  /** Timer waking the loop when a backed-off entry falls due. */
  dueTimer: ReturnType<typeof setTimeout> | null;
  /** Number of steps committed (guards merges of stale listings). */
  commits: number;
}

/** Creates a slot for a freshly claimed actor. */
export function newSlot(
  ref: ActorAddress,
  id: string,
  def: AnyDefinition,
  leaseVs: string,
  record: ActorRecord | null,
): Slot {
  return {
    ref,
    id,
    def,
    leaseVs,
    record,
    queue: [],
    knownPendingVs: null,
    needsReload: false,
    reloadPendingVs: null,
    verified: false,
    driving: null,
    controller: null,
    abortReason: null,
    lastActive: Date.now(),
    dropped: false,
    dueTimer: null,
    commits: 0,
  };
}

/**
 * Asks the drive loop to re-list the mailbox. `pendingVs` is a versionstamp
 * the actor's pending counter was seen at (or committed at) before the ask:
 * the listing comes later, so it holds that mail, and the reload can take it
 * as the known counter instead of reading the counter again. Several asks
 * keep the oldest (null, unknown, is older than all): a too-old known
 * counter only costs another reload, a too-new one would hide mail.
 */
export function markReload(slot: Slot, pendingVs: string | null): void {
  if (!slot.needsReload) {
    slot.needsReload = true;
    slot.reloadPendingVs = pendingVs;
  } else if (
    slot.reloadPendingVs !== null &&
    (pendingVs === null || pendingVs < slot.reloadPendingVs)
  ) {
    slot.reloadPendingVs = pendingVs;
  }
  slot.verified = false;
}

/** Inserts or replaces `entry` keeping the queue ordered by id. */
export function insertEntry(queue: MailEntry[], entry: MailEntry): void {
  let i = queue.length;
  while (i > 0 && queue[i - 1]!.id > entry.id) i--;
  if (i > 0 && queue[i - 1]!.id === entry.id) {
    queue[i - 1] = entry;
    return;
  }
  queue.splice(i, 0, entry);
}

/** Removes the entry with `id`, if queued. */
export function removeEntry(queue: MailEntry[], id: string): void {
  const i = queue.findIndex((e) => e.id === id);
  if (i >= 0) queue.splice(i, 1);
}
