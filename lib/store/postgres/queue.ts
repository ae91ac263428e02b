/**
 * `kv.listenQueue()` on Postgres. Due messages are claimed with `FOR UPDATE
 * SKIP LOCKED` and a visibility lease, so each is handled by one listener
 * across all processes; a message whose listener dies is redelivered when
 * its lease ends (at-least-once, as Deno KV). A throwing handler reschedules
 * it by its backoff schedule; after the last attempt its `keysIfUndelivered`
 * are set to the value. Listeners wake on commit notifications flagged `q`,
 * at the next due time, and on a one-second backstop poll.
 */
import { decodeValue } from "./value_codec.ts";
import type { QueueOptions } from "./commit_plan.ts";
import type { Notifier } from "./notifier.ts";

/** Backoff of a message that names none (Deno KV's default). */
const DEFAULT_BACKOFF_MS = [1000, 5000, 10000];
/** How long a claimed message is invisible to other listeners. */
const CLAIM_LEASE_MS = 60_000;
/** Messages claimed (and handled concurrently) per round. */
const CLAIM_BATCH = 16;
/** Longest sleep between looks at the queue. */
const BACKSTOP_MS = 1000;

/** A claimed message row. */
export interface QueueRow {
  id: string;
  v: Uint8Array;
  enc: number;
  attempts: number;
  options: QueueOptions;
}

/** What the listener needs from the KV. */
export interface QueueStore {
  /** Claims up to `n` due messages. */
  claim(n: number, leaseMs: number): Promise<QueueRow[]>;
  /** Milliseconds until the next message could be due (null when none is queued). */
  nextDueIn(): Promise<number | null>;
  /** Removes a handled message. */
  finish(id: string): Promise<void>;
  /** Makes a failed message due again after `delayMs`. */
  retry(id: string, delayMs: number): Promise<void>;
  /** Sets `keys` to the message's value and removes it, in one transaction. */
  deadLetter(row: QueueRow): Promise<void>;
}

/** Runs `handler` for queued messages until `closed` resolves. */
export async function listenQueue(
  store: QueueStore,
  notifier: Notifier,
  // deno-lint-ignore no-explicit-any -- Deno.Kv's signature
  handler: (value: any) => Promise<void> | void,
  closed: Promise<void>,
  log: (line: string) => void,
): Promise<void> {
  let isClosed = false;
  let wake: () => void = () => {};
  void closed.then(() => {
    isClosed = true;
    wake();
  });
  const unsubscribe = notifier.subscribe((notice) => {
    if (notice.enqueued) wake();
  });
  try {
    while (!isClosed) {
      let rows: QueueRow[] = [];
      try {
        rows = await store.claim(CLAIM_BATCH, CLAIM_LEASE_MS);
      } catch (error) {
        if (isClosed) break;
        log(`Postgres KV: queue claim failed: ${String(error)}`);
      }
      if (rows.length > 0) {
        await Promise.all(rows.map((row) => deliver(store, row, handler, log)));
        continue;
      }
      let waitMs = BACKSTOP_MS;
      try {
        const due = await store.nextDueIn();
        if (due !== null) waitMs = Math.max(0, Math.min(BACKSTOP_MS, due));
      } catch {
        // Database away: the backstop wait retries.
      }
      if (waitMs === 0 || isClosed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          wake = () => {};
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    unsubscribe();
  }
}

async function deliver(
  store: QueueStore,
  row: QueueRow,
  // deno-lint-ignore no-explicit-any -- Deno.Kv's signature
  handler: (value: any) => Promise<void> | void,
  log: (line: string) => void,
): Promise<void> {
  let ok = false;
  try {
    await handler(decodeValue(row.enc, row.v, null));
    ok = true;
  } catch (error) {
    log(`Queue handler threw (attempt ${row.attempts}): ${String(error)}`);
  }
  try {
    if (ok) return await store.finish(row.id);
    const schedule = row.options.backoff ?? DEFAULT_BACKOFF_MS;
    const delay = schedule[row.attempts - 1];
    if (delay !== undefined) return await store.retry(row.id, delay);
    await store.deadLetter(row);
  } catch (error) {
    // The claim lease runs out and the message comes back: at-least-once.
    log(
      `Postgres KV: settling queued message ${row.id} failed: ${String(error)}`,
    );
  }
}
