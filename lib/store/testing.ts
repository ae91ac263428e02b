/**
 * Test helpers (tests and bench only): where tests keep KV, a real KV file in
 * a temp dir, sample records, writes that production makes through the actor
 * runtime, and the two KV backends the conformance suite runs against.
 */
import { noUsage } from "../factory/shapes.ts";
import { newRunId } from "../ids.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { type NewEvent, toRunEvent } from "./events.ts";
import { fromStored, type StoredRun } from "./run_codec.ts";
import type { CreateRunOptions } from "./run_mutations.ts";
import { RunStore } from "./run_store.ts";
import { nextSeq } from "./seq.ts";
import type { RunEvent, RunRecord, RunStatus } from "./types.ts";
import { closeKv, openKv } from "./kv.ts";
import { isPostgresUrl } from "./postgres/mod.ts";
import { freshSchemaUrl } from "./postgres/testing.ts";

export { freshSchemaUrl, pgCluster } from "./postgres/testing.ts";

/*
 * Where tests keep KV (tests only): a file in the test's temp dir, or, with
 * `AOS_TEST_KV=postgres://…` in the environment, a fresh schema on that
 * server — so the same suites run on the Postgres backend with one variable.
 */

/** True when the suites run on Postgres. */
export function testsOnPostgres(): boolean {
  return isPostgresUrl(Deno.env.get("AOS_TEST_KV") ?? "");
}

/** A KV path (`AOS_KV` value) for one test, and how to drop what it stored. */
export async function testKvPath(
  dir: string,
  file = "aos.kv",
): Promise<{ path: string; drop(): Promise<void> }> {
  if (!testsOnPostgres()) {
    return { path: `${dir}/${file}`, drop: () => Promise.resolve() };
  }
  const schema = await freshSchemaUrl("test");
  return { path: schema.url, drop: () => schema.drop() };
}

/** A KV opened for one test: the handle, its temp dir and path, and how to drop it. */
export interface TempKv {
  kv: Deno.Kv;
  dir: string;
  path: string;
  close(): Promise<void>;
}

/**
 * Opens a KV file in a fresh temp dir (a fresh Postgres schema with
 * `AOS_TEST_KV=postgres://…`); `close()` closes it and removes the dir.
 */
export async function tempKv(): Promise<TempKv> {
  const dir = await Deno.makeTempDir({ prefix: "aos_store_" });
  const store = await testKvPath(dir, "nested/aos.kv");
  const kv = await openKv(store.path);
  return {
    kv,
    dir,
    path: store.path,
    async close() {
      await closeKv(kv);
      await store.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs `fn` with a RunStore on a fresh `tempKv()` (and the KV itself), closing it after. */
export async function withStore(
  fn: (store: RunStore, t: TempKv) => Promise<void>,
): Promise<void> {
  const t = await tempKv();
  try {
    await fn(new RunStore(t.kv), t);
  } finally {
    await t.close();
  }
}

/** A PENDING run record with test values. */
export function sampleRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: newRunId(),
    status: "PENDING" satisfies RunStatus,
    title: "Add calculator module",
    repo: "https://github.com/user/repo",
    clone_branch: "main",
    push_branch: null,
    iteration: 0,
    max_iterations: 5,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    result_summary: null,
    pull_request_url: null,
    error: null,
    usage: noUsage(),
    work_order_md: "---\nrepo: https://github.com/user/repo\n---\n\nDo it.\n",
    ...overrides,
  };
}

/** Counts index entries and records read through a real KV handle. */
export function countingKv(
  kv: Deno.Kv,
): { kv: Deno.Kv; listed: () => number; fetched: () => number } {
  let listed = 0;
  let fetched = 0;
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "list") {
        return async function* (
          selector: Deno.KvListSelector,
          options?: Deno.KvListOptions,
        ) {
          for await (const entry of target.list(selector, options)) {
            listed++;
            yield entry;
          }
        };
      }
      if (prop === "getMany") {
        return (keys: Deno.KvKey[]) => {
          fetched += keys.length;
          return target.getMany(keys);
        };
      }
      if (prop === "get") {
        return (key: Deno.KvKey) => {
          fetched++;
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, listed: () => listed, fetched: () => fetched };
}

/** Creates a run outside the actor runtime (tests, bench); ConflictError if the id or key is taken. */
export async function createRun(
  store: RunStore,
  record: RunRecord,
  opts: CreateRunOptions = {},
): Promise<RunRecord> {
  try {
    await store.applyMutations(store.createRunMutations(record, opts));
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const reason = opts.idempotencyKey !== undefined &&
        await store.getRunIdByIdempotencyKey(opts.idempotencyKey) !== null
      ? `Idempotency-Key '${opts.idempotencyKey}' is already used`
      : `Run '${record.id}' already exists`;
    throw new ConflictError(reason, { cause: error });
  }
  return await store.getRun(record.id);
}

/** Commits `prev` → `next` without a version check. */
export async function updateRun(
  store: RunStore,
  prev: RunRecord,
  next: RunRecord,
): Promise<RunRecord> {
  await store.applyMutations(store.updateRunMutations(prev, next));
  return await store.getRun(next.id);
}

/**
 * Applies `change` to the current record under a versionstamp check,
 * retrying on a concurrent write; null (or the same object) leaves it.
 */
export async function transition(
  store: RunStore,
  id: string,
  change: (prev: RunRecord) => RunRecord | null,
): Promise<RunRecord> {
  for (let attempt = 1;; attempt++) {
    const entry = await store.kv.get<StoredRun>(store.keys.run(id));
    if (entry.value === null) throw new NotFoundError(`Run '${id}' not found`);
    const prev = await fromStored(store.kv, store.keys, entry.value);
    const next = change(prev);
    if (next === null || next === prev) return prev;
    try {
      await store.applyMutations(
        store.updateRunMutations(prev, next, {
          expectVersionstamp: entry.versionstamp,
        }),
      );
      return await store.getRun(id);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 200) throw error;
    }
  }
}

/** Appends an event outside the actor runtime. */
export async function appendEvent(
  store: RunStore,
  runId: string,
  event: NewEvent,
): Promise<RunEvent> {
  const seq = nextSeq();
  const value = {
    seq,
    ts: new Date().toISOString(),
    level: event.level ?? "INFO",
    kind: event.kind,
    iteration: event.iteration ?? null,
    payload: event.payload ?? {},
  };
  await store.kv.set(store.eventKey(runId, seq), value);
  return toRunEvent(seq, value);
}

/*
 * The two KV backends the conformance suite runs against: Deno's own
 * (`Deno.openKv` on a temp SQLite file) and the Postgres backend (a fresh
 * schema on the test server, see postgres/testing.ts).
 */

/** An open store and how to dispose of it. */
export interface BackendKv {
  kv: Deno.Kv;
  /** What `openKv` was given (another handle on the same store opens it too). */
  path: string;
  dispose(): Promise<void>;
}

/** A way to open a fresh, empty store. */
export interface Backend {
  name: string;
  open(): Promise<BackendKv>;
}

/** Deno KV on a SQLite file in a temp dir. */
export const denoBackend: Backend = {
  name: "Deno.openKv",
  async open() {
    const dir = await Deno.makeTempDir({ prefix: "aos_conf_" });
    const path = `${dir}/kv.sqlite`;
    const kv = await Deno.openKv(path);
    return {
      kv,
      path,
      async dispose() {
        kv.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  },
};

/** The Postgres backend on a fresh schema. */
export const postgresBackend: Backend = {
  name: "Postgres",
  async open() {
    const schema = await freshSchemaUrl("conf");
    const kv = await openKv(schema.url);
    return {
      kv,
      path: schema.url,
      async dispose() {
        await closeKv(kv);
        await schema.drop();
      },
    };
  },
};

/** Both backends, Deno's first. */
export const backends: Backend[] = [denoBackend, postgresBackend];

/** Runs `fn` on a fresh store of `backend`, disposing of it after. */
export async function withBackend<T>(
  backend: Backend,
  fn: (kv: Deno.Kv, path: string) => Promise<T>,
): Promise<T> {
  const store = await backend.open();
  try {
    return await fn(store.kv, store.path);
  } finally {
    await store.dispose();
  }
}
