/** State shared by the dispatcher parts of one ActorSystem (one worker). */
import { GroupCommitter } from "./group_commit.ts";
import { refId, RuntimeKeys } from "./keys.ts";
import type { MailEntry } from "./records.ts";
import { Semaphore } from "./semaphore.ts";
import {
  type AbortReason,
  type AnyDefinition,
  insertEntry,
  type Slot,
} from "./slot.ts";
import type { SpecEnv } from "./step_commit.ts";
import type {
  ActorAddress,
  DeadLetter,
  LoggedEvent,
  Mutation,
  SystemOptions,
} from "./types.ts";

/** Options with defaults filled in. */
export interface ResolvedOptions {
  prefix: Deno.KvKey;
  logKey: (owner: ActorAddress, seq: string) => Deno.KvKey;
  maxHeavy: number;
  maxConcurrent: number;
  leaseMs: number;
  pollMs: number;
  workerId: string;
  onDeadLetter: (dl: DeadLetter) => void;
  afterWrites: (writes: readonly Mutation[], committed: boolean) => void;
  afterEvents: (events: readonly LoggedEvent[]) => void;
  onDispatch: (actorType: string, waitedMs: number) => void;
  logger: (line: string) => void;
  watch: boolean;
  queue: boolean;
  idleReleaseMs: number;
  groupCommit: boolean;
  commitsInFlight: number;
  stopGraceMs: number;
  abortGraceMs: number;
}

/** Fills in defaults. */
export function resolveOptions(o: SystemOptions): ResolvedOptions {
  return {
    prefix: o.prefix ?? ["rt"],
    logKey: o.logKey,
    maxHeavy: o.maxHeavy ?? 4,
    maxConcurrent: o.maxConcurrent ?? 256,
    leaseMs: o.leaseMs ?? 3000,
    pollMs: o.pollMs ?? 200,
    workerId: o.workerId ?? crypto.randomUUID().slice(0, 13),
    onDeadLetter: o.onDeadLetter ?? (() => {}),
    afterWrites: o.afterWrites ?? (() => {}),
    afterEvents: o.afterEvents ?? (() => {}),
    onDispatch: o.onDispatch ?? (() => {}),
    logger: o.logger ?? (() => {}),
    watch: o.watch ?? false,
    queue: o.queue ?? true,
    idleReleaseMs: o.idleReleaseMs ?? 5000,
    groupCommit: o.groupCommit ?? true,
    commitsInFlight: Math.max(1, Math.floor(o.commitsInFlight ?? 2)),
    stopGraceMs: o.stopGraceMs ?? 10_000,
    abortGraceMs: o.abortGraceMs ?? 5_000,
  };
}

/** Hooks the parts give each other (set by the ActorSystem when wiring). */
export interface CoreHooks {
  /** Runs (or re-runs) the drive loop of a slot. */
  drive(slot: Slot): void;
  /** Claims an actor that has (or may have) mail; `entry` is mail we just delivered. */
  claim(ref: ActorAddress, entry: MailEntry | null, fromScan: boolean): void;
  /** A timer due at `due` was committed by this worker. */
  timerAdded(due: number): void;
}

/** The shared state. */
export class Core {
  readonly keys: RuntimeKeys;
  readonly committer: GroupCommitter;
  readonly defs = new Map<string, AnyDefinition>();
  readonly owned = new Map<string, Slot>();
  readonly general: Semaphore;
  readonly heavy: Semaphore;
  readonly env: SpecEnv;
  stopping = false;
  running = false;
  hooks!: CoreHooks;

  constructor(readonly kv: Deno.Kv, readonly opts: ResolvedOptions) {
    this.keys = new RuntimeKeys(opts.prefix);
    this.committer = new GroupCommitter(
      kv,
      opts.commitsInFlight,
      opts.groupCommit ? 1000 : 1,
    );
    this.general = new Semaphore(opts.maxConcurrent);
    this.heavy = new Semaphore(opts.maxHeavy);
    this.committer.onQueuesUnavailable = (error) =>
      this.log(
        `KV queue enqueue failed (${String(error)}); timers rely on scans`,
      );
    this.env = {
      keys: this.keys,
      logKey: opts.logKey,
      wake: opts.queue ? { rtWake: JSON.stringify(opts.prefix) } : null,
      watch: opts.watch,
    };
  }

  /** Hands mail committed by this worker to its actor: in memory if we own it, else by a claim. */
  deliver(to: ActorAddress, entry: MailEntry, versionstamp: string): void {
    if (!this.running) return;
    const slot = this.owned.get(refId(to));
    if (slot && !slot.dropped) {
      insertEntry(slot.queue, entry);
      slot.knownPendingVs = versionstamp;
      slot.verified = false;
      slot.lastActive = Date.now();
      this.hooks.drive(slot);
    } else {
      this.hooks.claim(to, entry, false);
    }
  }

  /** Forgets a slot whose lease is gone; aborts its handler with `reason`. */
  dropSlot(slot: Slot, reason: AbortReason): void {
    slot.dropped = true;
    if (this.owned.get(slot.id) === slot) this.owned.delete(slot.id);
    if (slot.dueTimer !== null) clearTimeout(slot.dueTimer);
    slot.dueTimer = null;
    if (slot.controller && !slot.controller.signal.aborted) {
      slot.abortReason = reason;
      slot.controller.abort(
        new DOMException(
          `Actor ${reason === "cancel" ? "cancelled" : reason}`,
          "AbortError",
        ),
      );
    }
  }

  /** An actor was cancelled (by us or seen in KV): abort it here and drop its mail. */
  cancelled(ref: ActorAddress): void {
    const slot = this.owned.get(refId(ref));
    if (slot) this.dropSlot(slot, "cancel");
    if (this.running) this.hooks.claim(ref, null, false);
  }

  /** Logs a diagnostic line. */
  log(line: string): void {
    try {
      this.opts.logger(line);
    } catch {
      // A failing logger must not break dispatch.
    }
  }
}
