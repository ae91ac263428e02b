/**
 * Public contract of the durable actor runtime. Generic: nothing here knows
 * what the actors do. Implementation lives in the sibling modules; `mod.ts`
 * re-exports the public surface.
 */
import type { z } from "zod";

/** Address of an actor: its type name and its id within that type (what KV stores). */
export interface ActorAddress {
  type: string;
  id: string;
}

/** A message is any object with a string `type` discriminator. */
export interface Message {
  type: string;
  [field: string]: unknown;
}

/** Phantom key carrying the message type of an `ActorRef`; never present at run time. */
declare const accepts: unique symbol;

/**
 * A typed address: an actor that accepts messages of type `M`. Made by
 * `actorRef<M>(type, id)` (or `ctx.self`); a plain `{ type, id }` is not one,
 * so every `send` is checked against the receiver's messages at compile time.
 * `M` is contravariant: a ref to an actor accepting `A | B` may be used
 * where one accepting only `A` is expected, never the other way round.
 */
export type ActorRef<M extends Message> = ActorAddress & {
  readonly [accepts]: (msg: M) => void;
};

/** A declarative KV mutation added to the step's atomic commit. */
export type Mutation =
  | { kind: "set"; key: Deno.KvKey; value: unknown }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: "sum"; key: Deno.KvKey; value: bigint }
  /** Fails the whole commit unless `key` is at `versionstamp` (null: absent). */
  | { kind: "check"; key: Deno.KvKey; versionstamp: string | null };

/** An event appended to the owner's log within the step's commit. */
/** An event as a landed step wrote it to its owner's log. */
export interface LoggedEvent {
  key: Deno.KvKey;
  value: { seq: string; ts: string; [field: string]: unknown };
}

/** What the runtime of one process holds now (see `ActorSystem.stats`). */
export interface RuntimeStats {
  /** Messages known to be waiting in the mailboxes of the actors this process owns, by actor type. */
  mailboxBacklog: Record<string, number>;
  /** Heavy handlers running now, and the cap. */
  heavyRunning: number;
  heavyCap: number;
  /** Steps of heavy actors waiting for a heavy slot. */
  heavyWaiting: number;
}

export interface LogEvent {
  [field: string]: unknown;
}

/** What a handler may do; every effect lands in the step's one atomic commit. */
export interface ActorContext<S, M extends Message> {
  /** This actor's address. */
  readonly self: ActorRef<M>;
  /** The root actor whose log events go to (itself, for a root actor). */
  readonly owner: ActorAddress;
  /** Id of the message being handled: stable across redeliveries. */
  readonly messageId: string;
  /** Delivery attempt, 1 on the first try. */
  readonly attempt: number;
  /** State as of the last committed step (or the spawn `init`). */
  readonly state: S;
  /** Replace the state; committed with the step. */
  setState(next: S): void;
  /** Send a message, checked against what `to` accepts; delivered only if the step commits. */
  send<T extends Message>(to: ActorRef<T>, msg: NoInfer<T>): void;
  /** Send a message to this actor itself. */
  sendSelf(msg: M): void;
  /** Create a child actor with initial state (no-op if it already exists). Its owner is this actor's owner. */
  spawn<T extends Message>(to: ActorRef<T>, init: unknown): ActorRef<T>;
  /** Append an event to the owner's log. */
  emit(event: LogEvent): void;
  /** Deliver `msg` to this actor after `ms` (durable timer, survives restarts). */
  after(ms: number, msg: M): void;
  /** Extra KV mutations to commit atomically with the step (domain indexes etc.). */
  write(...mutations: Mutation[]): void;
  /** Aborted when the actor is cancelled (`system.cancel`) or the system stops. */
  readonly signal: AbortSignal;
  /**
   * After the commit, cancel another actor: its in-flight handler's signal is
   * aborted (in whichever process runs it) and its pending mail is dropped.
   */
  cancel(ref: ActorAddress): void;
  /** Mark this actor finished: its state is kept, further mail is dropped. */
  stop(): void;
}

/** One handler per message type; a missing handler fails to type-check. */
export type Handlers<S, M extends Message> = {
  [K in M["type"]]: (
    ctx: ActorContext<S, M>,
    msg: Extract<M, { type: K }>,
  ) => Promise<void> | void;
};

/** Definition of an actor type. */
export interface ActorDefinition<S, M extends Message> {
  /** Type name, unique within a system. */
  type: string;
  /** Schema every incoming message is validated against (invalid → dead letter). */
  messages: z.ZodType<M>;
  /** Builds the state from the `init` given to spawn. */
  initialState: (init: unknown) => S;
  handlers: Handlers<S, M>;
  /** Heavy handlers (LLM calls, processes) count against the concurrency cap. */
  heavy?: boolean;
  /**
   * Retry policy for a throwing handler before dead-lettering.
   * `maxTransientRetries` (default 120) bounds the redeliveries after
   * transient storage errors, which do not count as attempts.
   */
  retry?: {
    maxAttempts: number;
    baseDelayMs: number;
    maxTransientRetries?: number;
  };
  /**
   * Runs when a message of this actor is about to be dead-lettered (failed
   * validation, a `TerminalError`, retries exhausted, a step over KV limits).
   * What it does through `ctx` (state, sends, events, writes, cancels, stop)
   * is committed in the same atomic operation as the dead letter, so a
   * supervisor can never miss that a message died. If it throws, the dead
   * letter is committed without its effects (transient KV errors are retried
   * first).
   */
  onDeadLetter?: (
    ctx: ActorContext<S, M>,
    deadLetter: DeadLetter,
  ) => Promise<void> | void;
}

/** A message that could not be handled: recorded in KV and listed by `deadLetters()`. */
export interface DeadLetter {
  actor: ActorAddress;
  messageId: string;
  message: unknown;
  error: string;
  attempts: number;
  /** ISO time it was dead-lettered. */
  at: string;
}

/** Options of an `ActorSystem`. */
export interface SystemOptions {
  /** Key prefix of everything the runtime stores (default `["rt"]`). */
  prefix?: Deno.KvKey;
  /** Where `ctx.emit` writes an event of `owner`'s log. */
  logKey: (owner: ActorAddress, seq: string) => Deno.KvKey;
  /** Cap on concurrently running heavy handlers (default 4). */
  maxHeavy?: number;
  /** Cap on concurrently running handlers of any kind (default 256). */
  maxConcurrent?: number;
  /** Lease expiry of a worker that stops heartbeating (default 3000 ms). */
  leaseMs?: number;
  /** Interval of the scan for mail other processes wrote (default 200 ms). */
  pollMs?: number;
  /** This worker's id (default random). */
  workerId?: string;
  /** Called after a dead letter is committed. */
  onDeadLetter?: (dl: DeadLetter) => void;
  /**
   * Called once a step's commit has settled (landed or not) with the
   * mutations its handler added through `ctx.write` (or a `send`'s extra
   * mutations), so the process can keep in-memory views of those keys
   * coherent; `committed` says whether they landed. Must not throw.
   */
  afterWrites?: (writes: readonly Mutation[], committed: boolean) => void;
  /**
   * Called once a step's commit has landed with the log events it wrote
   * (each `{ key, value }` as `logKey` placed it), so the process can observe
   * the event stream (metrics, traces) without reading it back. Must not throw.
   */
  afterEvents?: (events: readonly LoggedEvent[]) => void;
  /**
   * Called as a handler starts with the actor type and how long its message
   * waited since it was sent (or fell due): the runtime's hop latency.
   */
  onDispatch?: (actorType: string, waitedMs: number) => void;
  /** Diagnostic lines (dead letters, lost leases, recovery). */
  logger?: (line: string) => void;
  /** Also wake on `kv.watch` (useful on KV Connect, where watch crosses processes; default false). */
  watch?: boolean;
  /** Use KV queues as durable wake-ups for timers and retries (default true). */
  queue?: boolean;
  /** Idle actors keep their lease this long before releasing it (default 5000 ms). */
  idleReleaseMs?: number;
  /** Pack the commits of concurrently ready actors into shared atomic operations (default true). */
  groupCommit?: boolean;
  /**
   * Atomic commits this worker keeps in flight at once (default 2): while one
   * waits for the store (a durable flush, a network round trip), the next
   * batch is already on its way. Specs in different commits never depend on
   * each other (a dependent step waits for its commit), as with commits from
   * different processes.
   */
  commitsInFlight?: number;
  /** How long `stop()` waits for handlers that ignore their aborted signal (default 10000 ms). */
  stopGraceMs?: number;
  /**
   * How long a handler whose signal was aborted (cancel, lost lease, stop) may
   * go on before its slot is freed anyway and its step discarded (default 5000 ms).
   */
  abortGraceMs?: number;
}
