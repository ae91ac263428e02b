import {
  deepStrictEqual as assertEquals,
  strictEqual,
} from "node:assert/strict";
import { RunStore } from "../lib/store/mod.ts";
import { createRun, sampleRun, tempKv } from "../lib/store/testing.ts";
import { plainRunId, withFastRunReads } from "./fast_path.ts";
import { requestPolicy } from "./middleware/request_guard.ts";

const NO_TOKEN = requestPolicy({
  apiToken: null,
  publicUrl: null,
  allowedHosts: [],
});

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
    const open = withFastRunReads(app, {
      store,
      apiToken: null,
      policy: NO_TOKEN,
    });
    const url = `http://localhost:8000/runs/${run.id}`;
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
        // Attacks the app refuses: a rebound name, a page on another site.
        new Request(url, { headers: { host: "evil.example:8000" } }),
        new Request(url, {
          headers: {
            origin: "https://evil.example",
            "sec-fetch-site": "cross-site",
            "sec-fetch-mode": "cors",
          },
        }),
        new Request(url, { headers: { "sec-fetch-site": "cross-site" } }),
      ]
    ) {
      strictEqual((await open(req)).status, 299);
    }
    strictEqual(passed.length, 7);

    // With a token, only a request bearing it is answered here; the app
    // answers (rejects) the rest.
    const guarded = withFastRunReads(app, {
      store,
      apiToken: "s3cret",
      policy: requestPolicy({
        apiToken: "s3cret",
        publicUrl: null,
        allowedHosts: [],
      }),
    });
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
