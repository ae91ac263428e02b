/**
 * A bounded API fuzz: thousands of generated malformed requests over every
 * route against the real server. No answer may be a 5xx, the service must
 * stay healthy, and every run it accepted must be readable afterwards.
 * The generator is seeded (AOS_FUZZ_SEED replays a failure).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { fuzzRequests, prng } from "./support/api_fuzz.ts";
import { sendAll } from "./support/fuzz_client.ts";

const REQUESTS = 3000;

Deno.test("API fuzz: 3000 malformed requests over every route, no 5xx, every accepted run readable", async () => {
  const seed = Number(Deno.env.get("AOS_FUZZ_SEED") ?? Date.now() % 1e9);
  await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
    const known = await h.submit(h.workOrder({ title: "known" }));
    const requests = fuzzRequests(prng(seed), {
      repo: h.remote,
      knownRunId: known.id,
      count: REQUESTS,
    });
    const outcome = await sendAll(h.svc.url, requests);
    assertEquals(
      outcome.serverErrors,
      [],
      `seed ${seed}: ${outcome.serverErrors.length} answers >= 500`,
    );
    assertEquals(
      outcome.hostileAccepted,
      [],
      `seed ${seed}: requests from another site's page were accepted`,
    );
    // The generator reaches the interesting answers, not only 404s.
    for (const status of [201, 400, 403, 404, 413, 415, 422]) {
      assert(
        (outcome.statuses[status] ?? 0) > 0,
        `seed ${seed}: no ${status} in ${JSON.stringify(outcome.statuses)}`,
      );
    }
    const health = await fetch(`${h.svc.url}/healthz`);
    assertEquals(health.status, 200);
    await health.body?.cancel();
    const ready = await fetch(`${h.svc.url}/readyz`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();
    const accepted = new Set([known.id, ...outcome.accepted]);
    for (const id of accepted) {
      const res = await fetch(`${h.svc.url}/runs/${id}?consistency=strong`);
      assertEquals(res.status, 200, `seed ${seed}: accepted run ${id}`);
      const run = await res.json();
      assertEquals(run.id, id);
      const events = await fetch(`${h.svc.url}/runs/${id}/events`);
      assertEquals(events.status, 200);
      await events.body?.cancel();
    }
    const list = await (await fetch(`${h.svc.url}/runs?limit=1`)).json();
    // Repeated Idempotency-Keys return an earlier run, so ids repeat.
    assertEquals(list.total, accepted.size);
  });
});
