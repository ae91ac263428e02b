import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
  throws,
} from "node:assert/strict";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { newRunId } from "../ids.ts";
import { RunStore } from "./run_store.ts";
import {
  countingKv,
  createRun,
  sampleRun,
  tempKv,
  transition,
  updateRun,
  withStore,
} from "./testing.ts";
import { RUN_STATUSES, type RunRecord, type RunStatus } from "./types.ts";

/** Full-scan check (tests only): indexes and counters agree with the records. */
async function assertConsistent(store: RunStore): Promise<void> {
  const records: RunRecord[] = [];
  for await (
    const e of store.kv.list<RunRecord>({
      prefix: [...store.keys.prefix, "run"],
    })
  ) {
    records.push(e.value);
  }
  const byTime: string[] = [];
  for await (const e of store.kv.list({ prefix: store.keys.byTime() })) {
    byTime.push(e.key.at(-1) as string);
  }
  assertEquals(byTime, records.map((r) => r.id));
  const counts = await store.counts();
  assertEquals(counts.total, records.length);
  for (const status of RUN_STATUSES) {
    const indexed: string[] = [];
    for await (
      const e of store.kv.list({ prefix: store.keys.byStatus(status) })
    ) {
      indexed.push(e.key.at(-1) as string);
    }
    const expected = records.filter((r) => r.status === status).map((r) =>
      r.id
    );
    assertEquals(indexed, expected, `index of ${status}`);
    assertEquals(counts[status], expected.length, `count of ${status}`);
  }
}

Deno.test("createRun(RunStore, ) stores the record, indexes, counters and RUN_CREATED", async () => {
  await withStore(async (store) => {
    const record = sampleRun();
    assertEquals(await createRun(store, record), record);
    assertEquals(await store.getRun(record.id), record);
    assertEquals((await store.counts()).PENDING, 1);
    const events = await store.listEvents(record.id);
    assertEquals(
      events.map((e) => [e.kind, e.level, e.iteration, e.ts, e.payload]),
      [
        ["RUN_CREATED", "INFO", null, record.created_at, {
          repo: record.repo,
          clone_branch: "main",
        }],
      ],
    );
    await assertConsistent(store);
  });
});

Deno.test("RunStore.getRun() of an unknown id throws NotFoundError", async () => {
  await withStore(async (store) => {
    const id = newRunId();
    await rejects(store.getRun(id), (e: unknown) => {
      assert(e instanceof NotFoundError);
      assertEquals(e.message, `Run '${id}' not found`);
      return true;
    });
    assertEquals(await store.findRun(id), null);
    assertEquals(await store.listEvents(id), []);
    assertEquals(await store.listArtifacts(id), []);
    await rejects(store.getArtifact(id, "summary.json"), NotFoundError);
    await rejects(transition(store, id, (r) => r), NotFoundError);
  });
});

Deno.test("createRun(RunStore, ) rejects a taken id or idempotency key", async () => {
  await withStore(async (store) => {
    const first = sampleRun();
    await createRun(store, first, { idempotencyKey: "abc-1" });
    await rejects(createRun(store, first), /Run '.*' already exists/);
    await rejects(
      createRun(store, sampleRun(), { idempotencyKey: "abc-1" }),
      (e: unknown) =>
        e instanceof ConflictError && /Idempotency-Key 'abc-1'/.test(e.message),
    );
    assertEquals(await store.getRunIdByIdempotencyKey("abc-1"), first.id);
    assertEquals(await store.getRunIdByIdempotencyKey("abc-2"), null);
    await rejects(store.getRunIdByIdempotencyKey("has space"), ValidationError);
    assertEquals((await store.counts()).total, 1);
    await assertConsistent(store);
  });
});

Deno.test("RunStore.createRunMutations() is pure and commits with other mutations", async () => {
  const t = await tempKv();
  try {
    const store = new RunStore(t.kv, ["custom"]);
    const record = sampleRun();
    const mutations = store.createRunMutations(record, {
      idempotencyKey: "k",
      createdEventSeq: "0000000000001-000000-0000",
    });
    assertEquals(await store.findRun(record.id), null);
    await store.applyMutations([...mutations, {
      kind: "set",
      key: ["other"],
      value: 1,
    }]);
    assertEquals((await t.kv.get(["other"])).value, 1);
    assertEquals(
      (await store.listEvents(record.id))[0]?.seq,
      "0000000000001-000000-0000",
    );
    await rejects(store.applyMutations(mutations), ConflictError);
    assertEquals(
      await new RunStore(t.kv).findRun(record.id),
      null,
      "prefix isolates stores",
    );
  } finally {
    await t.close();
  }
});

Deno.test("updateRun(RunStore, ) moves indexes and counts; terminal statuses never change", async () => {
  await withStore(async (store) => {
    const pending = await createRun(store, sampleRun());
    const running = await updateRun(store, pending, {
      ...pending,
      status: "RUNNING",
      iteration: 1,
    });
    assertEquals(running.iteration, 1);
    const failed = await updateRun(store, running, {
      ...running,
      status: "FAILED",
      error: "x".repeat(10_000),
    });
    assert(
      failed.error!.length <= 4_000 && failed.error!.includes("[truncated"),
      "error is capped",
    );
    const counts = await store.counts();
    assertEquals(
      [counts.PENDING, counts.RUNNING, counts.FAILED, counts.total],
      [0, 0, 1, 1],
    );
    throws(
      () => store.updateRunMutations(failed, { ...failed, status: "RUNNING" }),
      ConflictError,
    );
    await assertConsistent(store);
  });
});

Deno.test("RunStore keeps a long work order apart from the record", async () => {
  await withStore(async (store) => {
    const words = Array.from({ length: 60_000 }, (_, i) => `word${i % 997}`)
      .join(" ");
    const record = sampleRun({ work_order_md: `---\nrepo: x\n---\n${words}` });
    await createRun(store, record);
    assertEquals(
      (await store.getRun(record.id)).work_order_md,
      record.work_order_md,
    );
    const next = await transition(
      store,
      record.id,
      (r) => ({ ...r, status: "RUNNING" }),
    );
    assertEquals(next.work_order_md, record.work_order_md);
    assertEquals((await store.listRuns({ limit: 5, offset: 0 })).runs[0], next);
    const noise = new Uint8Array(900 * 1024).map(() =>
      33 + Math.floor(Math.random() * 90)
    );
    const huge = sampleRun({ work_order_md: new TextDecoder().decode(noise) });
    throws(() => store.createRunMutations(huge), (e: unknown) => {
      return e instanceof ValidationError &&
        e.issues[0]?.field === "work_order_md";
    });
  });
});

Deno.test("RunStore.getWorkOrder() returns the validated work order stored at create, in parts when large", async () => {
  await withStore(async (store) => {
    const small = { repo: "/r", task: "do it", max_iterations: 3 };
    const a = sampleRun();
    await store.applyMutations(
      store.createRunMutations(a, { workOrder: small }),
    );
    assertEquals(await store.getWorkOrder(a.id), small);
    const words = Array.from({ length: 30_000 }, (_, i) => `w${i * 7919}`)
      .join(" ");
    const large = { repo: "/r", task: words };
    const b = sampleRun({ work_order_md: `---\nrepo: /r\n---\n${words}` });
    const mutations = store.createRunMutations(b, { workOrder: large });
    assert(
      mutations.filter((m) => JSON.stringify(m.key).includes("run_wo"))
        .length > 1,
      "a large work order is split into parts",
    );
    await store.applyMutations(mutations);
    assertEquals(await store.getWorkOrder(b.id), large);
    const c = await createRun(store, sampleRun());
    assertEquals(await store.getWorkOrder(c.id), null);
  });
});

Deno.test("RunStore.listRuns() pages 10,000 runs newest first and by status from the indexes", async () => {
  await withStore(async (store, t) => {
    const base = Date.UTC(2032, 0, 1);
    const all: RunRecord[] = [];
    for (let i = 0; i < 10_000; i++) {
      const status = RUN_STATUSES[(i * 3) % RUN_STATUSES.length]!;
      all.push(
        sampleRun({
          id: newRunId(base + i),
          status,
          work_order_md: `run ${i}`,
        }),
      );
    }
    for (let i = 0; i < all.length; i += 100) {
      await store.applyMutations(
        all.slice(i, i + 100).flatMap((r) => store.createRunMutations(r)),
      );
    }
    const newestFirst = [...all].reverse().map((r) => r.id);
    const statusOf = new Map(all.map((r) => [r.id, r.status]));

    const pages: string[] = [];
    for (let offset = 0; offset < 10_000; offset += 1_000) {
      const page = await store.listRuns({ limit: 1_000, offset });
      assertEquals(page.total, 10_000);
      pages.push(...page.runs.map((r) => r.id));
    }
    assertEquals(pages, newestFirst);
    assertEquals(
      (await store.listRuns({ limit: 20, offset: 9_990 })).runs.length,
      10,
    );
    assertEquals(
      (await store.listRuns({ limit: 20, offset: 20_000 })).runs,
      [],
    );

    for (const status of RUN_STATUSES) {
      const expected = newestFirst.filter((id) => statusOf.get(id) === status);
      const page = await store.listRuns({ limit: 25, offset: 50, status });
      assertEquals(page.total, expected.length);
      assert(expected.length > 1_000);
      assertEquals(page.runs.map((r) => r.id), expected.slice(50, 75));
      assert(page.runs.every((r) => r.status === status));
    }

    const counted = countingKv(t.kv);
    const watched = new RunStore(counted.kv);
    const page = await watched.listRuns({
      limit: 20,
      offset: 40,
      status: "FAILED",
    });
    assertEquals(page.runs.length, 20);
    assert(counted.listed() <= 60, `listed ${counted.listed()} index entries`);
    // The records, plus one counter per status and the total.
    assert(
      counted.fetched() <= 20 + RUN_STATUSES.length + 1,
      `fetched ${counted.fetched()} values`,
    );
    await rejects(store.listRuns({ limit: 0, offset: 0 }), ValidationError);
    await rejects(store.listRuns({ limit: 5, offset: -1 }), ValidationError);
    await rejects(
      store.listRuns({ limit: 5, offset: 0, status: "NOPE" as RunStatus }),
      ValidationError,
    );
    await assertConsistent(store);
  });
});

Deno.test("transition(RunStore, ) keeps indexes and counts exact under 50 concurrent transitions", async () => {
  await withStore(async (store) => {
    const runs = await Promise.all(
      Array.from({ length: 50 }, () => createRun(store, sampleRun())),
    );
    // 50 different runs at once, each PENDING → RUNNING.
    await Promise.all(
      runs.map((r) =>
        transition(store, r.id, (p) => ({ ...p, status: "RUNNING" }))
      ),
    );
    // 50 writers on one run: each bumps the iteration; the status walks with it.
    const hot = runs[0]!.id;
    const cycle: RunStatus[] = ["RUNNING", "PENDING"];
    await Promise.all(
      Array.from({ length: 50 }, () =>
        transition(store, hot, (p) => ({
          ...p,
          iteration: p.iteration + 1,
          status: cycle[(p.iteration + 1) % 2]!,
        }))),
    );
    assertEquals((await store.getRun(hot)).iteration, 50);
    // 50 writers race to finish the same run: exactly one terminal status wins.
    const target = runs[1]!.id;
    const finals: RunStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          transition(store, target, (p) =>
            p.status === "RUNNING"
              ? {
                ...p,
                status: finals[i % 3]!,
                finished_at: new Date().toISOString(),
              }
              : null),
      ),
    );
    const counts = await store.counts();
    assertEquals(counts.total, 50);
    assertEquals(counts.SUCCEEDED + counts.FAILED + counts.CANCELLED, 1);
    assertEquals(counts.PENDING, 0);
    assertEquals(counts.RUNNING, 49);
    await assertConsistent(store);
  });
});
