import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { newRunId } from "../ids.ts";
import { nextSeq } from "./seq.ts";
import {
  appendEvent,
  createRun,
  sampleRun,
  updateRun,
  withStore,
} from "./testing.ts";

Deno.test("appendEvent(RunStore, ) appends in order and listEvents() pages with after", async () => {
  await withStore(async (store) => {
    const runId = newRunId();
    const written = [];
    for (let i = 0; i < 30; i++) {
      written.push(
        await appendEvent(store, runId, {
          kind: "CMD_RESULT",
          iteration: 1,
          payload: { i },
        }),
      );
    }
    await appendEvent(store, newRunId(), { kind: "OTHER_RUN" });
    const all = await store.listEvents(runId);
    assertEquals(all, written);
    assertEquals(all.map((e) => e.payload["i"]), [...Array(30).keys()]);
    assertEquals(
      await store.listEvents(runId, { after: written[9]!.seq }),
      written.slice(10),
    );
    assertEquals(
      await store.listEvents(runId, { after: written[9]!.seq, limit: 5 }),
      written.slice(10, 15),
    );
    assertEquals(
      await store.listEvents(runId, { limit: 3 }),
      written.slice(0, 3),
    );
    assertEquals(
      await store.listEvents(runId, { after: written[29]!.seq }),
      [],
    );
    assertEquals(await store.listEvents(runId, { limit: 0 }), []);
  });
});

Deno.test("RunStore.listEvents() fills defaults for events written by the runtime", async () => {
  await withStore(async (store, t) => {
    const runId = newRunId();
    const seq = nextSeq();
    await t.kv.set(store.eventKey(runId, seq), {
      seq,
      ts: "2030-01-01T00:00:00.000Z",
      kind: "RUN_START",
    });
    assertEquals(await store.listEvents(runId), [
      {
        seq,
        ts: "2030-01-01T00:00:00.000Z",
        level: "INFO",
        kind: "RUN_START",
        iteration: null,
        payload: {},
      },
    ]);
  });
});

Deno.test("nextSeq() is strictly increasing even when the clock stands still or steps back", () => {
  const seqs = [nextSeq(5_000), nextSeq(5_000), nextSeq(4_000), nextSeq(6_000)];
  for (let i = 0; i < 2_000; i++) seqs.push(nextSeq(7_000));
  assertEquals([...seqs].sort(), seqs);
  assertEquals(new Set(seqs).size, seqs.length);
  assert(/^\d{13}-\d{6}-[0-9a-f]{4}$/.test(seqs[0]!), seqs[0]);
});

Deno.test("RunStore.appendEvent: a live event of a run that has ended is not appended", async () => {
  await withStore(async (store) => {
    const run = await createRun(store, sampleRun({ status: "RUNNING" }));
    assertEquals(await store.appendEvent(run.id, { kind: "CMD_START" }), true);
    await updateRun(store, run, {
      ...run,
      status: "CANCELLED",
      finished_at: new Date().toISOString(),
    });
    // A step still in flight when its run was cancelled writes nothing after the end.
    assertEquals(await store.appendEvent(run.id, { kind: "CMD_START" }), false);
    assertEquals(
      (await store.listEvents(run.id)).map((e) => e.kind).filter((k) =>
        k === "CMD_START"
      ),
      ["CMD_START"],
    );
  });
});
