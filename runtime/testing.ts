/**
 * Test helpers: a temp KV file and a started system, torn down after `fn`;
 * and `stepOnce`, one handler run without a system, for an actor's logic.
 */
import { createContext } from "./context.ts";
import { nextSeq } from "./seq.ts";
import { ActorSystem } from "./system.ts";
import type {
  ActorAddress,
  ActorContext,
  ActorDefinition,
  LogEvent,
  Message,
  Mutation,
  SystemOptions,
} from "./types.ts";

/** Key of an event in the tests' log layout. */
export function testLogKey(owner: ActorAddress, seq: string): Deno.KvKey {
  return ["log", owner.type, owner.id, seq];
}

/** A store opened for one test: its handle, what reopens it, and its disposal. */
export interface TestKv {
  kv: Deno.Kv;
  /** What another handle (or process) opens to share the store. */
  path: string;
  /** Disposes of the store once `kv` is no longer used (closes `kv`). */
  dispose: () => Promise<void>;
}

/** Opens a fresh store for a test inside `dir`. */
export type TestKvOpener = (dir: string) => Promise<TestKv>;

let openTestKv: TestKvOpener = async (dir) => {
  const path = `${dir}/rt.kv`;
  const kv = await Deno.openKv(path);
  return {
    kv,
    path,
    dispose: () => Promise.resolve(kv.close()),
  };
};

/**
 * Replaces how tests open KV (default: a SQLite file), so the runtime's suite
 * can run on another Deno.Kv backend; call it before the tests, e.g. from a
 * `deno test --preload` module.
 */
export function setTestKvOpener(opener: TestKvOpener): void {
  openTestKv = opener;
}

/** Opens a KV in a fresh temp dir; returns it with a cleanup function. */
export async function tempKv(): Promise<
  { kv: Deno.Kv; path: string; dir: string; cleanup: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "rt_test_" });
  const store = await openTestKv(dir);
  return {
    kv: store.kv,
    path: store.path,
    dir,
    cleanup: async () => {
      await store.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs `fn` with a started system on a temp KV file; stops and cleans up after. */
export async function withSystem(
  // deno-lint-ignore no-explicit-any -- definitions of any state and message types
  defs: ActorDefinition<any, any>[],
  fn: (system: ActorSystem, kv: Deno.Kv) => Promise<void>,
  options: Partial<SystemOptions> = {},
): Promise<void> {
  const t = await tempKv();
  const system = new ActorSystem(t.kv, { logKey: testLogKey, ...options });
  for (const def of defs) {
    system.register(def as ActorDefinition<unknown, Message>);
  }
  try {
    await system.start();
    await fn(system, t.kv);
  } finally {
    await system.stop();
    await t.cleanup();
  }
}

/** Polls `probe` until it returns a non-undefined value (fails after `timeoutMs`). */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What one handled message asked for: the effects its step would commit. */
export interface StepOutcome<S> {
  /** The state after the handler (the state given when it set none). */
  state: S;
  /** Messages sent, in order. */
  sends: { to: ActorAddress; msg: Message }[];
  /** Actors spawned, with their `init`. */
  spawns: { to: ActorAddress; init: unknown }[];
  /** Events emitted to the owner's log, in order. */
  events: LogEvent[];
  /** Durable timers set: when (ms since the epoch) and what. */
  timers: { due: number; msg: Message }[];
  /** Extra KV mutations. */
  writes: Mutation[];
  /** Actors cancelled after the commit. */
  cancels: ActorAddress[];
  /** Whether the actor marked itself finished. */
  stopped: boolean;
}

/** Options of `stepOnce`. */
export interface StepOnceOptions {
  /** The actor's id (default `test`). */
  id?: string;
  /** The owner whose log events go to (default the actor itself). */
  owner?: ActorAddress;
  /** Delivery attempt (default 1). */
  attempt?: number;
  signal?: AbortSignal;
}

/**
 * Runs `def`'s handler of `msg` once on `state`, without a system or a
 * commit, and returns what it asked for. The message is checked against the
 * definition's schema first, as the runtime does on delivery (a ZodError
 * here is a dead letter there).
 */
export async function stepOnce<S, M extends Message>(
  def: ActorDefinition<S, M>,
  state: S,
  msg: M,
  opts: StepOnceOptions = {},
): Promise<StepOutcome<S>> {
  const self = { type: def.type, id: opts.id ?? "test" };
  const parsed = def.messages.parse(msg);
  const { ctx, effects, seal } = createContext<S, M>({
    self,
    owner: opts.owner ?? self,
    messageId: nextSeq(),
    attempt: opts.attempt ?? 1,
    state,
    signal: opts.signal ?? new AbortController().signal,
  });
  const handler = def.handlers[parsed.type as M["type"]] as (
    ctx: ActorContext<S, M>,
    msg: M,
  ) => Promise<void> | void;
  try {
    await handler(ctx, parsed);
  } finally {
    seal();
  }
  return {
    state: effects.state as S,
    sends: effects.sends.flatMap(({ to, entry }) =>
      entry.kind === "msg" && entry.msg ? [{ to, msg: entry.msg }] : []
    ),
    spawns: effects.sends.flatMap(({ to, entry }) =>
      entry.kind === "spawn" ? [{ to, init: entry.init }] : []
    ),
    events: effects.events.map((e) => e.event),
    timers: effects.timers.flatMap(({ due, entry }) =>
      entry.kind === "msg" && entry.msg ? [{ due, msg: entry.msg }] : []
    ),
    writes: effects.writes,
    cancels: effects.cancels,
    stopped: effects.stop,
  };
}
