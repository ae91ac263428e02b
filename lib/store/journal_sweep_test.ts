import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { newRunId } from "../ids.ts";
import { createRun, sampleRun, updateRun, withStore } from "./testing.ts";
import type { RunStatus } from "./types.ts";

Deno.test("sweepJournals deletes the journals of ended and vanished runs, keeps live runs' and other keys", async () => {
  await withStore(async (store, t) => {
    const runs: Record<string, string> = {};
    for (
      const status of [
        "PENDING",
        "RUNNING",
        "CANCELLED",
        "FAILED",
        "SUCCEEDED",
      ] as RunStatus[]
    ) {
      const created = await createRun(store, sampleRun({ id: newRunId() }));
      if (status !== "PENDING") {
        await updateRun(store, created, { ...created, status });
      }
      runs[status] = created.id;
    }
    // A journal whose run record is gone (deleted by hand, or never written).
    const vanished = newRunId();
    const ids = [...Object.values(runs), vanished];
    const big = "x".repeat(150_000); // several chunks per entry
    for (const id of ids) {
      for (const name of ["se_iter_1", "se_iter_2"]) {
        const journal = store.journal<{ text: string }>(id, name);
        await journal.append({ text: big });
        await journal.append({ text: "small" });
      }
    }
    const before = await Array.fromAsync(
      t.kv.list({ prefix: [...store.keys.prefix, "run"] }),
    );

    const swept = await store.sweepJournals();
    assertEquals(swept.runs, 4);
    for (const [status, id] of Object.entries(runs)) {
      const kept = (await store.journal(id, "se_iter_2").load()).length;
      assertEquals(
        kept,
        status === "PENDING" || status === "RUNNING" ? 2 : 0,
        `${status} run's journal`,
      );
    }
    assertEquals(await store.journal(vanished, "se_iter_1").load(), []);
    // Run records are untouched; a second sweep finds nothing more.
    assertEquals(
      await Array.fromAsync(
        t.kv.list({ prefix: [...store.keys.prefix, "run"] }),
      ),
      before,
    );
    assertEquals(await store.sweepJournals(), { runs: 0, keys: 0 });
  });
});
