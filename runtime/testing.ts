/** Test helpers: a temp KV file and a started system, torn down after `fn`. */
import { ActorSystem } from "./system.ts";
import type {
  ActorAddress,
  ActorDefinition,
  Message,
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
