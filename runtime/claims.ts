/**
 * Leases: claiming actors with mail (free, or held by a worker whose
 * heartbeat expired), dropping the mail of cancelled actors, releasing idle
 * actors. Every transition is one atomic commit checked against the lease's
 * versionstamp, so two workers never both hold an actor.
 */
import type { Core } from "./core.ts";
import { refId } from "./keys.ts";
import type {
  ActorRecord,
  LeaseRecord,
  MailEntry,
  WorkerRecord,
} from "./records.ts";
import { insertEntry, markReload, newSlot, type Slot } from "./slot.ts";
import { retryTransient } from "./transient.ts";
import type { ActorAddress } from "./types.ts";

/** Claims, drains and releases leases for one worker. */
export class Claims {
  /** Actors being claimed, with mail delivered meanwhile. */
  readonly #claiming = new Map<string, MailEntry[]>();
  /** Actors held by another live worker: skip until this time. */
  readonly #heldUntil = new Map<string, number>();
  readonly #releasing = new Map<string, Promise<void>>();
  readonly #warned = new Set<string>();
  /** In-flight claim tasks (awaited by stop). */
  readonly tasks = new Set<Promise<void>>();

  constructor(private readonly core: Core) {}

  /** Number of claims in progress. */
  get active(): number {
    return this.#claiming.size;
  }

  /** True if `ref` was seen held by another live worker and that lease has not expired yet. */
  heldElsewhere(id: string): boolean {
    const until = this.#heldUntil.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#heldUntil.delete(id);
    return false;
  }

  /** Claims `ref` (unless owned or being claimed); `entry` is mail this worker just committed to it. */
  claim(ref: ActorAddress, entry: MailEntry | null, fromScan: boolean): void {
    const core = this.core;
    if (!core.running || core.stopping) return;
    const id = refId(ref);
    // Callers decide to claim from what they saw a moment ago (a scan lists
    // the pending index, then claims what was unowned): the actor may be ours
    // by now. A lease held by this worker reads as ours to take, so claiming
    // it again would start a second slot running the same mail beside the
    // live one: a handler re-run while its first execution is still alive.
    const owned = core.owned.get(id);
    if (owned && !owned.dropped) {
      if (entry) {
        insertEntry(owned.queue, entry);
        core.hooks.drive(owned);
      }
      return;
    }
    const buffered = this.#claiming.get(id);
    if (buffered) {
      if (entry) buffered.push(entry);
      return;
    }
    const def = core.defs.get(ref.type);
    if (!def) {
      if (!this.#warned.has(ref.type)) {
        this.#warned.add(ref.type);
        core.log(
          `No actor type "${ref.type}" registered in this worker; its mail waits for one that has it`,
        );
      }
      return;
    }
    if (fromScan && this.heldElsewhere(id)) return;
    const buffer = entry ? [entry] : [];
    this.#claiming.set(id, buffer);
    const task = this.#claim(ref, id, buffer).catch((error) => {
      core.log(`Claim of ${ref.type}/${ref.id} failed: ${String(error)}`);
    }).finally(() => {
      if (this.#claiming.get(id) === buffer) this.#claiming.delete(id);
      this.tasks.delete(task);
    });
    this.tasks.add(task);
  }

  async #claim(
    ref: ActorAddress,
    id: string,
    buffer: MailEntry[],
  ): Promise<void> {
    const { kv, keys, opts } = this.core;
    await this.#releasing.get(id);
    const known = buffer.length;
    const [lease, actor, pending] = await retryTransient(() =>
      kv.getMany<
        [LeaseRecord, ActorRecord, Deno.KvU64]
      >([
        keys.lease(ref),
        keys.actor(ref),
        keys.pending(ref),
      ])
    );
    if (lease.value?.cancelled) {
      return await this.#drain(ref, lease.versionstamp!);
    }
    if (!pending.value && buffer.length === 0) return;
    const checks: { key: Deno.KvKey; versionstamp: string | null }[] = [
      { key: keys.lease(ref), versionstamp: lease.versionstamp },
      // A step commit checks the lease but does not change it, so a holder
      // whose heartbeat lapsed while it was still running could commit a step
      // after the read above; without this check the claim would then start
      // from a stale record (and the step's state change would be lost).
      { key: keys.actor(ref), versionstamp: actor.versionstamp },
    ];
    const holder = lease.value?.worker;
    if (holder && holder !== opts.workerId) {
      const worker = await retryTransient(() =>
        kv.get<WorkerRecord>(keys.worker(holder))
      );
      if (worker.value && worker.value.expiresAt > Date.now()) {
        this.#heldUntil.set(id, worker.value.expiresAt);
        return;
      }
      checks.push({
        key: keys.worker(holder),
        versionstamp: worker.versionstamp,
      });
      this.core.log(
        `Taking over ${ref.type}/${ref.id} from expired worker ${holder}`,
      );
    }
    if (this.core.stopping) return;
    const value: LeaseRecord = { worker: opts.workerId, at: Date.now() };
    const result = await this.core.committer.submit({
      checks,
      mutations: [{ kind: "set", key: keys.lease(ref), value }],
      enqueues: [],
    });
    if (!result.ok) return; // Another worker won; its loop handles the mail.
    if (this.core.stopping) {
      await this.core.committer.submit({
        checks: [{ key: keys.lease(ref), versionstamp: result.versionstamp }],
        mutations: [{ kind: "delete", key: keys.lease(ref) }],
        enqueues: [],
      });
      return;
    }
    const slot = newSlot(
      ref,
      id,
      this.core.defs.get(ref.type)!,
      result.versionstamp,
      actor.value,
    );
    for (const e of buffer) insertEntry(slot.queue, e);
    slot.knownPendingVs = pending.versionstamp;
    // Skip the listing only when every write the counter saw is mail we hold.
    if (
      !(known > 0 && pending.value !== null &&
        pending.value.value === BigInt(known))
    ) markReload(slot, pending.versionstamp);
    this.#claiming.delete(id);
    this.core.owned.set(id, slot);
    this.core.hooks.drive(slot);
  }

  /** Deletes the mail of a cancelled actor, then its pending counter. */
  async #drain(ref: ActorAddress, leaseVs: string): Promise<void> {
    const { kv, keys, committer } = this.core;
    for (let round = 0; round < 100 && !this.core.stopping; round++) {
      const pending = await kv.get(keys.pending(ref));
      if (!pending.versionstamp) return;
      const mail: Deno.KvKey[] = [];
      for await (
        const item of kv.list({ prefix: keys.mailbox(ref) }, { limit: 500 })
      ) mail.push(item.key);
      const checks = [{ key: keys.lease(ref), versionstamp: leaseVs }];
      const result = mail.length > 0
        ? await committer.submit({
          checks,
          mutations: mail.map((key) => ({ kind: "delete", key })),
          enqueues: [],
        })
        : await committer.submit({
          checks: [...checks, {
            key: keys.pending(ref),
            versionstamp: pending.versionstamp,
          }],
          mutations: [{ kind: "delete", key: keys.pending(ref) }],
          enqueues: [],
        });
      if (result.ok && mail.length === 0) return;
      if (!result.ok && result.error) throw result.error;
    }
  }

  /** Gives up the lease of an idle, verified slot. */
  release(slot: Slot): Promise<void> {
    const core = this.core;
    core.dropSlot(slot, "lost");
    const done = core.committer.submit({
      checks: [{ key: core.keys.lease(slot.ref), versionstamp: slot.leaseVs }],
      mutations: [{ kind: "delete", key: core.keys.lease(slot.ref) }],
      enqueues: [],
    }).then(() => {
      this.#releasing.delete(slot.id);
    });
    this.#releasing.set(slot.id, done);
    return done;
  }

  /** Waits for claims and releases in progress. */
  async settle(): Promise<void> {
    await Promise.all([...this.tasks, ...this.#releasing.values()]);
  }
}
