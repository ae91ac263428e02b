/** The ActorSystem: the public face of one worker of the runtime. */
import { Claims } from "./claims.ts";
import { Core, resolveOptions } from "./core.ts";
import { CommitConflictError } from "./errors.ts";
import { Executor } from "./executor.ts";
import type { ActorRecord, MailEntry } from "./records.ts";
import { Scanner } from "./scanner.ts";
import { Wakeups } from "./wakeups.ts";
import { nextSeq } from "./seq.ts";
import type { AnyDefinition } from "./slot.ts";
import {
  cancelledLease,
  deliveryMutations,
  wakeMutations,
} from "./step_commit.ts";
import type {
  ActorAddress,
  ActorDefinition,
  ActorRef,
  DeadLetter,
  Message,
  Mutation,
  RuntimeStats,
  SystemOptions,
} from "./types.ts";

/** A durable actor system on Deno KV; several may share one KV (one per process). */
export class ActorSystem {
  readonly #core: Core;
  readonly #executor: Executor;
  readonly #claims: Claims;
  readonly #scanner: Scanner;
  #intervals: ReturnType<typeof setInterval>[] = [];
  #wakeups: Wakeups | null = null;
  #started = false;
  #beating: Promise<void> | null = null;
  #checking: Promise<void> | null = null;

  constructor(kv: Deno.Kv, options: SystemOptions) {
    const core = new Core(kv, resolveOptions(options));
    this.#core = core;
    this.#executor = new Executor(core);
    this.#claims = new Claims(core);
    this.#scanner = new Scanner(core, this.#claims);
    core.hooks = {
      drive: (slot) => this.#executor.drive(slot),
      claim: (ref, entry, fromScan) => this.#claims.claim(ref, entry, fromScan),
      timerAdded: (due) => this.#scanner.timerAdded(due),
    };
  }

  /** True between `start()` and `stop()`. */
  get started(): boolean {
    return this.#started;
  }

  /** This worker's id. */
  get workerId(): string {
    return this.#core.opts.workerId;
  }

  /** Atomic commits sent so far (group commit packs many steps into one). */
  get commits(): number {
    return this.#core.committer.commits;
  }

  /** What this process's runtime holds now: mailbox backlog by actor type, heavy slots. */
  stats(): RuntimeStats {
    const core = this.#core;
    const mailboxBacklog: Record<string, number> = {};
    for (const type of core.defs.keys()) mailboxBacklog[type] = 0;
    for (const slot of core.owned.values()) {
      mailboxBacklog[slot.ref.type] = (mailboxBacklog[slot.ref.type] ?? 0) +
        slot.queue.length;
    }
    return {
      mailboxBacklog,
      heavyRunning: core.heavy.inUse,
      heavyCap: core.heavy.permits,
      heavyWaiting: core.heavy.waiting,
    };
  }

  /** Registers an actor type; call before `start()`. */
  register<S, M extends Message>(def: ActorDefinition<S, M>): void {
    if (this.#started) {
      throw new Error(`Cannot register "${def.type}" after start`);
    }
    if (this.#core.defs.has(def.type)) {
      throw new Error(`Actor type "${def.type}" is already registered`);
    }
    this.#core.defs.set(def.type, def as unknown as AnyDefinition);
  }

  /** Recovers actors with mail or expired leases, then dispatches; resolves when running. */
  async start(): Promise<void> {
    if (this.#started) return;
    const core = this.#core;
    core.stopping = false;
    core.running = true;
    this.#started = true;
    await this.#scanner.heartbeat();
    const { leaseMs, pollMs } = core.opts;
    this.#intervals.push(setInterval(() => {
      // The beat and the lease check each skip a tick while their last run
      // is still going, independently: a slow check never delays a beat.
      this.#beating ??= this.#scanner.beat().catch((error) =>
        core.log(`Heartbeat failed: ${String(error)}`)
      ).finally(() => (this.#beating = null));
      this.#checking ??= this.#scanner.checkLeases().catch((error) =>
        core.log(`Lease check failed: ${String(error)}`)
      ).finally(() => (this.#checking = null));
    }, Math.max(50, Math.min(1000, Math.floor(leaseMs / 3)))));
    this.#intervals.push(setInterval(() => void this.#scanner.tick(), pollMs));
    this.#wakeups = new Wakeups(core, this.#scanner);
    await this.#scanner.recover();
  }

  /** Aborts in-flight handlers, lets them settle, releases leases; leaves the KV open. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    const core = this.#core;
    core.stopping = true;
    for (const id of this.#intervals) clearInterval(id);
    this.#intervals = [];
    this.#scanner.stop();
    await this.#wakeups?.stop();
    this.#wakeups = null;
    for (const slot of core.owned.values()) {
      if (slot.dueTimer !== null) clearTimeout(slot.dueTimer);
      slot.dueTimer = null;
      if (slot.controller && !slot.controller.signal.aborted) {
        slot.abortReason = "stop";
        slot.controller.abort(
          new DOMException("Actor system stopping", "AbortError"),
        );
      }
    }
    await this.#scanner.tick();
    await this.#beating;
    await this.#checking;
    await this.#settleHandlers();
    await this.#claims.settle();
    await core.committer.drain();
    const slots = [...core.owned.values()];
    core.owned.clear();
    for (let i = 0; i < slots.length; i += 100) {
      await Promise.all(
        slots.slice(i, i + 100).map((slot) =>
          core.committer.submit({
            checks: [{
              key: core.keys.lease(slot.ref),
              versionstamp: slot.leaseVs,
            }],
            mutations: [{ kind: "delete", key: core.keys.lease(slot.ref) }],
            enqueues: [],
          })
        ),
      );
    }
    await core.kv.delete(core.keys.worker(core.opts.workerId));
    core.running = false;
    this.#started = false;
  }

  /** Waits for drive loops to finish; handlers that ignore their signal get `stopGraceMs`. */
  async #settleHandlers(): Promise<void> {
    const loops = [...this.#core.owned.values()].map((s) => s.driving).filter((
      p,
    ) => p !== null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"grace">((resolve) => {
      timer = setTimeout(() => resolve("grace"), this.#core.opts.stopGraceMs);
    });
    const outcome = await Promise.race([Promise.all(loops), graceOver]);
    clearTimeout(timer);
    if (outcome === "grace") {
      this.#core.log(
        "Handlers still running after the stop grace period; releasing their leases anyway",
      );
    }
  }

  /** Sends `msg` (checked against what `to` accepts) in one commit with `extra` mutations; returns the message id. */
  async send<T extends Message>(
    to: ActorRef<T>,
    msg: NoInfer<T>,
    extra: Mutation[] = [],
  ): Promise<string> {
    const core = this.#core;
    const entry: MailEntry = { id: nextSeq(), kind: "msg", msg, attempt: 1 };
    const ref = { type: to.type, id: to.id };
    const mutations = [...deliveryMutations(core.keys, ref, entry), ...extra];
    if (core.opts.watch) mutations.push(...wakeMutations(core.keys, [ref]));
    let result: Awaited<ReturnType<typeof core.committer.submit>> | null = null;
    try {
      result = await core.committer.submit({
        checks: [],
        mutations,
        enqueues: [],
      });
    } finally {
      if (extra.length > 0) {
        try {
          core.opts.afterWrites(extra, result?.ok === true);
        } catch (error) {
          core.log(`afterWrites threw: ${error}`);
        }
      }
    }
    if (!result.ok) {
      if (result.error) throw result.error;
      throw new CommitConflictError(
        `Send to ${ref.type}/${ref.id} rejected: a checked key changed concurrently`,
      );
    }
    core.deliver(ref, entry, result.versionstamp);
    return entry.id;
  }

  /** Cancels `ref`: aborts its in-flight handler wherever it runs, drops its mail, ends it. */
  async cancel(ref: ActorAddress): Promise<void> {
    const core = this.#core;
    const target = { type: ref.type, id: ref.id };
    const mutations: Mutation[] = [{
      kind: "set",
      key: core.keys.lease(target),
      value: cancelledLease(),
    }];
    if (core.opts.watch) mutations.push(...wakeMutations(core.keys, []));
    const result = await core.committer.submit({
      checks: [],
      mutations,
      enqueues: [],
    });
    if (!result.ok) {
      throw result.error ??
        new Error(`Cancel of ${target.type}/${target.id} failed`);
    }
    core.cancelled(target);
  }

  /** The committed state of `ref`, or null if it has none yet. */
  async getState<S>(ref: ActorAddress): Promise<S | null> {
    const entry = await this.#core.kv.get<ActorRecord>(
      this.#core.keys.actor(ref),
    );
    return entry.value ? entry.value.state as S : null;
  }

  /** All dead letters, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (
      const item of this.#core.kv.list<DeadLetter>({
        prefix: this.#core.keys.deadLetters(),
      })
    ) {
      out.push(item.value);
    }
    return out;
  }
}
