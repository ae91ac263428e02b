import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { appendEvent, createRun, sampleRun } from "../lib/store/testing.ts";
import { errorOf, withTestApp } from "./testing.ts";

Deno.test("GET /runs/{id}/events: JSON list, ?after, and SSE on both paths until RUN_END", async () => {
  await withTestApp({}, async ({ app, store }) => {
    const run = await createRun(store, sampleRun());
    const first = await appendEvent(store, run.id, {
      kind: "RUN_STARTED",
      payload: {},
    });
    await appendEvent(store, run.id, { kind: "RUN_END", payload: {} });
    const all = await (await app.request(`/runs/${run.id}/events`)).json();
    assertEquals(all.map((e: { kind: string }) => e.kind), [
      "RUN_CREATED",
      "RUN_STARTED",
      "RUN_END",
    ]);
    const after = await (await app.request(
      `/runs/${run.id}/events?after=${first.seq}`,
    )).json();
    assertEquals(after.map((e: { kind: string }) => e.kind), ["RUN_END"]);
    for (
      const [path, headers] of [
        [`/runs/${run.id}/events/stream`, {}],
        [`/runs/${run.id}/events`, { accept: "text/event-stream" }],
      ] as const
    ) {
      const res = await app.request(path, { headers });
      assertMatch(res.headers.get("content-type")!, /text\/event-stream/);
      const text = await res.text();
      assertMatch(text, /event: RUN_STARTED\n/);
      assertMatch(text, /event: RUN_END\n/);
    }
    const resumed = await app.request(`/runs/${run.id}/events/stream`, {
      headers: { "last-event-id": first.seq },
    });
    const text = await resumed.text();
    assertEquals(text.includes("RUN_STARTED"), false);
    assertMatch(text, /RUN_END/);
    const missing = await errorOf(await app.request("/runs/none/events"));
    assertEquals([missing.status, missing.code], [404, "not_found"]);
  });
});
