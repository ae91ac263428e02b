import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { newRunId } from "../ids.ts";
import { RunStore } from "./run_store.ts";
import { createRun, sampleRun, withStore } from "./testing.ts";

Deno.test("a run record stored before pull requests and detail token counts reads with their defaults", async () => {
  await withStore(async (store, t) => {
    const created = await createRun(store, sampleRun({ id: newRunId() }));
    // Rewrite the stored record as an older version wrote it.
    const key = store.keys.run(created.id);
    const entry = await t.kv.get<Record<string, unknown>>(key);
    const { pull_request_url: _, ...old } = entry.value!;
    old.usage = {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cost_usd: 0.01,
    };
    await t.kv.set(key, old);
    const read = await new RunStore(t.kv).getRun(created.id);
    assertEquals(read.pull_request_url, null);
    assertEquals(read.usage, {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cached_tokens: 0,
      reasoning_tokens: 0,
      cost_usd: 0.01,
    });
  });
});
