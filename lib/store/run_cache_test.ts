import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual,
} from "node:assert/strict";
import { applyMutations } from "./commit.ts";
import { RunCache, RunView } from "./run_cache.ts";
import { RunStore } from "./run_store.ts";
import { closeKv, openKv } from "./kv.ts";
import {
  countingKv,
  createRun,
  sampleRun,
  tempKv,
  transition,
} from "./testing.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two stores on one KV file through two handles, as an API process (with the
 * given cache age) and a worker process would hold them.
 */
async function withTwoProcesses(
  liveCacheMs: number,
  fn: (api: RunStore, worker: RunStore) => Promise<void>,
  now?: () => number,
): Promise<void> {
  const t = await tempKv();
  const otherKv = await openKv(t.path);
  try {
    await fn(
      new RunStore(t.kv, undefined, { liveCacheMs, ...(now ? { now } : {}) }),
      new RunStore(otherKv),
    );
  } finally {
    await closeKv(otherKv);
    await t.close();
  }
}

Deno.test("RunView freezes the record and serializes it once", () => {
  const run = sampleRun();
  const view = new RunView(run);
  assert(Object.isFrozen(view.run) && Object.isFrozen(view.run.usage));
  assertEquals(JSON.parse(view.json), run);
  strictEqual(view.json, view.json);
  assert(!view.finished);
  assert(new RunView(sampleRun({ status: "CANCELLED" })).finished);
});

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("RunCache serves a live run until it is older than maxAgeMs", () => {
  const clock = fakeClock();
  const cache = new RunCache({ maxAgeMs: 30, now: clock.now });
  const run = sampleRun();
  cache.offer(run, cache.token(), clock.now());
  clock.advance(30);
  assertEquals(cache.get(run.id)?.run.id, run.id);
  clock.advance(1);
  assertEquals(cache.get(run.id), undefined);
});

Deno.test("RunCache serves a finished run however old", () => {
  const clock = fakeClock();
  const cache = new RunCache({ maxAgeMs: 1, now: clock.now });
  const run = sampleRun({ status: "SUCCEEDED" });
  cache.offer(run, cache.token(), clock.now());
  clock.advance(3_600_000);
  assertEquals(cache.get(run.id)?.run.status, "SUCCEEDED");
});

Deno.test("RunCache with maxAgeMs 0 keeps only finished runs", () => {
  const cache = new RunCache({ maxAgeMs: 0 });
  const live = sampleRun();
  const done = sampleRun({ status: "FAILED" });
  cache.offer(live, cache.token(), performance.now());
  cache.offer(done, cache.token(), performance.now());
  assertEquals(cache.get(live.id), undefined);
  assertEquals(cache.get(done.id)?.run.id, done.id);
});

Deno.test("RunCache refuses a read that started before an invalidation", () => {
  const cache = new RunCache({ maxAgeMs: 60_000 });
  const run = sampleRun();
  const token = cache.token(); // read starts
  cache.invalidate(run.id); // a write lands meanwhile
  const view = cache.offer(run, token, performance.now()); // stale read ends
  assertEquals(view.run.id, run.id, "the caller still gets its answer");
  assertEquals(cache.get(run.id), undefined, "but it is not cached");
  cache.offer(run, cache.token(), performance.now());
  assertEquals(cache.get(run.id)?.run.id, run.id, "a later read is cached");
  cache.invalidate(run.id);
  assertEquals(cache.get(run.id), undefined, "invalidate drops the view");
});

Deno.test("RunCache keeps the newer of two overlapping reads", () => {
  const cache = new RunCache({ maxAgeMs: 60_000 });
  const older = sampleRun();
  const newer = { ...older, iteration: 2 };
  const token = cache.token();
  const t0 = performance.now();
  cache.offer(newer, token, t0 + 1);
  cache.offer(older, token, t0);
  assertEquals(cache.get(older.id)?.run.iteration, 2);
});

Deno.test("RunCache evicts the least recently used and stays safe after eviction", () => {
  const cache = new RunCache({ maxAgeMs: 60_000, maxEntries: 2 });
  const [a, b, c] = [sampleRun(), sampleRun(), sampleRun()];
  for (const run of [a, b]) cache.offer(run, cache.token(), performance.now());
  cache.get(a.id); // a is now the most recent
  cache.offer(c, cache.token(), performance.now());
  assertEquals(cache.get(b.id), undefined);
  assertEquals(cache.get(a.id)?.run.id, a.id);
  // A read of `a` that began before a's invalidation, whose slot is then evicted, stays refused.
  const token = cache.token();
  cache.invalidate(a.id);
  cache.offer(b, cache.token(), performance.now());
  cache.offer(c, cache.token(), performance.now()); // evicts a's tombstone
  cache.offer(a, token, performance.now());
  assertEquals(cache.get(a.id), undefined);
});

Deno.test("RunStore.viewRun() answers repeated reads from memory and sees this process's writes at once", async () => {
  const t = await tempKv();
  try {
    const counting = countingKv(t.kv);
    const store = new RunStore(counting.kv, undefined, {
      liveCacheMs: 60_000,
    });
    const run = await createRun(new RunStore(t.kv), sampleRun());
    const before = counting.fetched();
    const views = await Promise.all(
      Array.from({ length: 50 }, () => store.viewRun(run.id)),
    );
    assert(views.every((v) => v?.run.status === "PENDING"));
    assertEquals(counting.fetched() - before, 1, "50 reads, one KV get");
    await transition(store, run.id, (prev) => ({ ...prev, status: "RUNNING" }));
    assertEquals((await store.viewRun(run.id))?.run.status, "RUNNING");
    // Store mutations committed elsewhere in this process (the actor runtime).
    const prev = (await store.viewRun(run.id))!.run;
    const next = { ...prev, iteration: 3 };
    const mutations = store.updateRunMutations(prev, next);
    await applyMutations(t.kv, mutations);
    assertEquals((await store.viewRun(run.id))?.run.iteration, 0);
    store.noteWrites(mutations);
    assertEquals((await store.viewRun(run.id))?.run.iteration, 3);
    assertEquals(await store.viewRun("no-such-run"), null);
  } finally {
    await t.close();
  }
});

Deno.test("RunStore.viewRun() shows another process's write within liveCacheMs, and at once when fresh", async () => {
  const clock = fakeClock();
  await withTwoProcesses(100, async (api, worker) => {
    const run = await createRun(api, sampleRun());
    assertEquals((await api.viewRun(run.id))?.run.status, "PENDING");
    await transition(
      worker,
      run.id,
      (prev) => ({ ...prev, status: "RUNNING" }),
    );
    assertEquals(
      (await api.viewRun(run.id, { fresh: true }))?.run.status,
      "RUNNING",
    );
    assertEquals((await api.findRun(run.id))?.status, "RUNNING");
    await transition(worker, run.id, (prev) => ({ ...prev, iteration: 1 }));
    assertEquals((await api.viewRun(run.id))?.run.iteration, 0, "in bound");
    clock.advance(101);
    assertEquals((await api.viewRun(run.id))?.run.iteration, 1, "past bound");
  }, clock.now);
});

Deno.test("RunStore.findRun() always reads a live run from KV", async () => {
  await withTwoProcesses(60_000, async (api, worker) => {
    const run = await createRun(api, sampleRun());
    await api.viewRun(run.id);
    await transition(
      worker,
      run.id,
      (prev) => ({ ...prev, status: "RUNNING" }),
    );
    assertEquals((await api.findRun(run.id))?.status, "RUNNING");
  });
});

Deno.test("RunStore.cachedRun() re-reads a live run in the background past half its life", async () => {
  const clock = fakeClock();
  await withTwoProcesses(1000, async (api, worker) => {
    const run = await createRun(worker, sampleRun());
    assertEquals((await api.viewRun(run.id))?.run.iteration, 0);
    await transition(worker, run.id, (prev) => ({ ...prev, iteration: 4 }));
    clock.advance(500);
    assertEquals(api.cachedRun(run.id)?.run.iteration, 0, "young: memory");
    clock.advance(1);
    // Past half its life: still answered from memory, and a re-read starts.
    assertEquals(api.cachedRun(run.id)?.run.iteration, 0);
    let seen = 0;
    for (let i = 0; i < 200 && seen !== 4; i++) {
      await sleep(5);
      seen = api.cachedRun(run.id)?.run.iteration ?? -1;
    }
    assertEquals(seen, 4, "the background read replaced the view");
  }, clock.now);
});

Deno.test("RunCache keeps its approximate memory under maxBytes", () => {
  const cache = new RunCache({ maxAgeMs: 60_000, maxBytes: 300_000 });
  const big = () => sampleRun({ work_order_md: "x".repeat(50_000) });
  const runs = Array.from({ length: 5 }, big);
  for (const run of runs) cache.offer(run, cache.token(), performance.now());
  assert(cache.size.bytes <= 300_000, `${cache.size.bytes} bytes`);
  assertEquals(cache.size.entries, 2);
  assertEquals(cache.get(runs[0]!.id), undefined, "oldest evicted");
  assertEquals(cache.get(runs[4]!.id)?.run.id, runs[4]!.id);
  // A view larger than the budget is answered but not kept.
  const huge = sampleRun({ work_order_md: "x".repeat(400_000) });
  assertEquals(
    cache.offer(huge, cache.token(), performance.now()).run.id,
    huge.id,
  );
  assertEquals(cache.get(huge.id), undefined);
  assertEquals(
    cache.get(runs[4]!.id)?.run.id,
    runs[4]!.id,
    "nothing evicted for it",
  );
});
