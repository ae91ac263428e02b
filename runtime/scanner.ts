/**
 * The background half of the dispatcher: heartbeat, the scan of the pending
 * index (mail written by other processes, recovery after a crash), durable
 * timers, and the check that lets idle actors drop their pending counter and
 * eventually their lease.
 */
import type { Claims } from "./claims.ts";
import type { Core } from "./core.ts";
import { refFromKey, refId } from "./keys.ts";
import type { LeaseRecord, TimerRecord, WorkerRecord } from "./records.ts";
import { markReload, type Slot } from "./slot.ts";
import { deliveryMutations } from "./step_commit.ts";
import { retryTransient } from "./transient.ts";
import type { ActorAddress } from "./types.ts";

const SCAN_PAGE = 1000;
const MAX_CLAIMS = 256;
/** An actor idle this long gets its pending counter verified away. */
const VERIFY_AFTER_MS = 20;
/** In-process timers re-check at least this often (setTimeout overflows past ~24 days). */
const MAX_TIMER_WAIT_MS = 60_000;

/** Periodic work of one worker. */
export class Scanner {
  #timerHandle: ReturnType<typeof setTimeout> | null = null;
  #timerDue = Infinity;
  #ticking: Promise<void> | null = null;
  #again = false;
  #cursor: string | undefined;
  /** Workers with a live heartbeat, this one included (as of the last heartbeat). */
  liveWorkers = 1;

  constructor(private readonly core: Core, private readonly claims: Claims) {}

  /** Writes this worker's heartbeat and aborts handlers whose lease changed (cancel, takeover). */
  async heartbeat(): Promise<void> {
    await this.beat();
    await this.checkLeases();
  }

  /**
   * Writes this worker's heartbeat and counts the live workers. Kept apart
   * from `checkLeases` so a slow lease check (a KV busy with other writers,
   * many running actors) can never hold it back: a missed beat lets other
   * workers take over actors whose handlers are still running here.
   */
  async beat(): Promise<void> {
    const { kv, keys, opts } = this.core;
    await retryTransient(() =>
      kv.set(keys.worker(opts.workerId), {
        expiresAt: Date.now() + opts.leaseMs,
      }, {
        expireIn: opts.leaseMs * 20,
      })
    );
    let live = 0;
    const now = Date.now();
    for await (const w of kv.list<WorkerRecord>({ prefix: keys.workers() })) {
      if (w.value.expiresAt > now) live++;
    }
    this.liveWorkers = Math.max(1, live);
  }

  /** Aborts handlers whose lease changed (cancel, takeover). */
  async checkLeases(): Promise<void> {
    const { kv, keys } = this.core;
    const running = [...this.core.owned.values()].filter((s) =>
      s.controller !== null
    );
    for (let i = 0; i < running.length; i += 10) {
      const chunk = running.slice(i, i + 10);
      const leases = await kv.getMany<LeaseRecord[]>(
        chunk.map((s) => keys.lease(s.ref)),
      );
      chunk.forEach((slot, j) => {
        const lease = leases[j]!;
        if (lease.versionstamp === slot.leaseVs) return;
        this.core.log(
          `Lease of ${slot.ref.type}/${slot.ref.id} changed; aborting its handler`,
        );
        if (lease.value?.cancelled) this.core.cancelled(slot.ref);
        else this.core.dropSlot(slot, "lost");
      });
    }
  }

  /** Runs a scan now (coalescing with one in progress). */
  tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      do {
        this.#again = false;
        await this.#scan();
      } while (this.#again && !this.core.stopping);
    })().catch((error) => this.core.log(`Scan failed: ${String(error)}`))
      .finally(() => {
        this.#ticking = null;
      });
    return this.#ticking;
  }

  /** Scans the whole pending index (start-up recovery). */
  async recover(): Promise<void> {
    this.#cursor = undefined;
    do {
      await this.#scanPending();
    } while (this.#cursor !== undefined && !this.core.stopping);
    await this.fireTimers();
  }

  async #scan(): Promise<void> {
    if (this.core.stopping) return;
    await this.fireTimers();
    await this.#scanPending();
    await this.#verifyIdle();
  }

  async #scanPending(): Promise<void> {
    const { kv, keys } = this.core;
    const iter = kv.list<Deno.KvU64>({ prefix: keys.pendingIndex() }, {
      limit: SCAN_PAGE,
      ...(this.#cursor ? { cursor: this.#cursor } : {}),
    });
    let count = 0;
    const unowned: ActorAddress[] = [];
    for await (const item of iter) {
      count++;
      const ref = refFromKey(item.key);
      const id = refId(ref);
      const slot = this.core.owned.get(id);
      if (slot) {
        if (!slot.driving && item.versionstamp !== slot.knownPendingVs) {
          markReload(slot, item.versionstamp);
          this.core.hooks.drive(slot);
        }
      } else if (!this.claims.heldElsewhere(id)) {
        unowned.push(ref);
      }
    }
    this.#cursor = count === SCAN_PAGE && iter.cursor ? iter.cursor : undefined;
    // With other live workers, take a fair share per scan, in random order, so work spreads.
    const share = this.liveWorkers > 1
      ? Math.max(4, Math.ceil(unowned.length / this.liveWorkers))
      : MAX_CLAIMS;
    if (this.liveWorkers > 1) shuffle(unowned);
    for (const ref of unowned.slice(0, share)) {
      if (this.claims.active >= MAX_CLAIMS) break;
      this.claims.claim(ref, null, true);
    }
  }

  /** Moves due timers into mailboxes and schedules the next one. */
  async fireTimers(): Promise<void> {
    const { kv, keys } = this.core;
    const now = Date.now();
    const due = kv.list<TimerRecord>({
      start: keys.timers(),
      end: [...keys.timers(), now + 1],
    }, { limit: 200 });
    const fired: Promise<void>[] = [];
    for await (const item of due) {
      const { to, entry } = item.value;
      fired.push(
        this.core.committer.submit({
          checks: [{ key: item.key, versionstamp: item.versionstamp }],
          mutations: [
            { kind: "delete", key: item.key },
            ...deliveryMutations(keys, to, entry),
          ],
          enqueues: [],
        }).then((result) => {
          if (result.ok) this.core.deliver(to, entry, result.versionstamp);
        }),
      );
    }
    await Promise.all(fired);
    this.#timerDue = Infinity;
    for await (
      const next of kv.list<TimerRecord>({ prefix: keys.timers() }, {
        limit: 1,
      })
    ) {
      this.timerAdded(Number(next.key[next.key.length - 2]));
    }
  }

  /** Arms the in-process timer for `due` if it is the earliest known. */
  timerAdded(due: number): void {
    if (this.core.stopping || due >= this.#timerDue) return;
    if (this.#timerHandle !== null) clearTimeout(this.#timerHandle);
    this.#timerDue = due;
    this.#timerHandle = setTimeout(() => {
      this.#timerHandle = null;
      this.#timerDue = Infinity;
      this.fireTimers().catch((error) =>
        this.core.log(`Timers failed: ${String(error)}`)
      );
    }, Math.min(MAX_TIMER_WAIT_MS, Math.max(0, due - Date.now())));
  }

  /** Idle actors: drop the pending counter once the mailbox is confirmed empty; release long-idle leases. */
  async #verifyIdle(): Promise<void> {
    const { kv, keys, opts } = this.core;
    const now = Date.now();
    const idle: Slot[] = [];
    for (const slot of this.core.owned.values()) {
      if (slot.driving || slot.queue.length > 0 || slot.dueTimer !== null) {
        continue;
      }
      if (now - slot.lastActive < VERIFY_AFTER_MS) continue;
      if (slot.verified) {
        if (now - slot.lastActive >= opts.idleReleaseMs) {
          await this.claims.release(slot);
        }
        continue;
      }
      idle.push(slot);
    }
    for (let i = 0; i < idle.length; i += 10) {
      const chunk = idle.slice(i, i + 10);
      const counters = await kv.getMany(chunk.map((s) => keys.pending(s.ref)));
      await Promise.all(chunk.map(async (slot, j) => {
        const pending = counters[j]!;
        if (pending.versionstamp === null) {
          slot.verified = true;
          return;
        }
        const commits = slot.commits;
        let mail = false;
        for await (
          const _ of kv.list({ prefix: keys.mailbox(slot.ref) }, { limit: 1 })
        ) mail = true;
        if (slot.dropped || slot.commits !== commits || slot.driving) return;
        if (mail) {
          markReload(slot, pending.versionstamp);
          this.core.hooks.drive(slot);
          return;
        }
        const result = await this.core.committer.submit({
          checks: [
            { key: keys.pending(slot.ref), versionstamp: pending.versionstamp },
            { key: keys.lease(slot.ref), versionstamp: slot.leaseVs },
          ],
          mutations: [{ kind: "delete", key: keys.pending(slot.ref) }],
          enqueues: [],
        });
        if (result.ok) {
          slot.verified = true;
          slot.knownPendingVs = null;
        }
      }));
    }
  }

  /** Cancels the in-process timer. */
  stop(): void {
    if (this.#timerHandle !== null) clearTimeout(this.#timerHandle);
    this.#timerHandle = null;
    this.#timerDue = Infinity;
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
