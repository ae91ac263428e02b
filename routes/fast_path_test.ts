import {
  deepStrictEqual as assertEquals,
  strictEqual,
} from "node:assert/strict";
import { RunStore } from "../lib/store/mod.ts";
import { createRun, sampleRun, tempKv } from "../lib/store/test_support.ts";
import { plainRunId, withFastRunReads } from "./fast_path.ts";

Deno.test("plainRunId() takes only a bare /runs/{id}", () => {
  assertEquals(plainRunId("http://h:1/runs/abc-1"), "abc-1");
  assertEquals(plainRunId("https://example.com/runs/x"), "x");
  for (
    const url of [
      "http://h:1/runs/",
      "http://h:1/runs",
      "http://h:1/runs/abc/events",
      "http://h:1/runs/abc?consistency=strong",
      "http://h:1/runs/abc#x",
      "http://h:1/runs/a%2Fb",
      "http://h:1/runsabc",
      "http://h:1/x/runs/abc",
      "http://h:1/",
    ]
  ) {
    strictEqual(plainRunId(url), null, url);
  }
});

Deno.test("withFastRunReads answers only cache hits and passes everything else to the app", async () => {
  const t = await tempKv();
  try {
    const store = new RunStore(t.kv, undefined, { liveCacheMs: 60_000 });
    const run = await createRun(new RunStore(t.kv), sampleRun());
    const passed: string[] = [];
    const app = (req: Request) => {
      passed.push(`${req.method} ${new URL(req.url).pathname}`);
      return new Response("from app", { status: 299 });
    };
    const open = withFastRunReads(app, store, null);
    const url = `http://h/runs/${run.id}`;
    // Not in memory yet: the app answers (and its route would fill the cache).
    strictEqual((await open(new Request(url))).status, 299);
    await store.viewRun(run.id);
    const hit = await open(new Request(url));
    strictEqual(hit.status, 200);
    strictEqual(hit.headers.get("content-type"), "application/json");
    assertEquals(await hit.json(), run);
    for (
      const req of [
        new Request(`${url}?consistency=strong`),
        new Request(url, { method: "POST" }),
        new Request(`${url}/events`),
      ]
    ) {
      strictEqual((await open(req)).status, 299);
    }
    strictEqual(passed.length, 4);

    // With a token, only a request bearing it is answered here; the app
    // answers (rejects) the rest.
    const guarded = withFastRunReads(app, store, "s3cret");
    strictEqual((await guarded(new Request(url))).status, 299);
    strictEqual(
      (await guarded(
        new Request(url, { headers: { authorization: "Bearer wrong" } }),
      )).status,
      299,
    );
    strictEqual(
      (await guarded(
        new Request(url, { headers: { authorization: "Bearer s3cret" } }),
      )).status,
      200,
    );
  } finally {
    await t.close();
  }
});
