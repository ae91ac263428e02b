/**
 * GET /metrics end to end: a real service, a real run driven by the scripted
 * model, the text read by a Prometheus parser; its counters move as the run
 * does, and the endpoint keeps to the API token.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { PASS, writeCalculator } from "./support/calculator.ts";
import { withHarness } from "./support/harness.ts";
import { RUN_STATUSES } from "../lib/store/mod.ts";
import {
  observations,
  parseMetrics,
  sample,
  scrape,
} from "./support/prometheus.ts";
import { finishCall, writeFileCall } from "../lib/llm/testing.ts";

const TOKEN = "metrics-test-token-0123456789";

Deno.test("/metrics counters move as a two-iteration run goes, and the text parses", async () => {
  await withHarness({
    env: { AOS_API_TOKEN: TOKEN },
    script: {
      se: [
        {
          tool_calls: [
            writeFileCall(
              "calculator.py",
              "def add(a, b):\n    return a - b\n",
            ),
            finishCall("first try"),
          ],
        },
        writeCalculator("fixed"),
      ],
      // A failing acceptance command is a FAIL without asking the PO model.
      po: [PASS],
    },
  }, async (h) => {
    const before = await scrape(h.svc.url, TOKEN);
    assertEquals(sample(before, "aos_runs_finished_total"), 0);
    const run = await h.submit(
      h.workOrder({
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
      }),
      { authorization: `Bearer ${TOKEN}` },
    );
    const done = await h.waitForEnd(run.id, 180_000).catch(async (error) => {
      const events = await h.svc.store.listEvents(run.id);
      throw new Error(
        `${error.message}; events: ${events.map((e) => e.kind).join(" ")}`,
      );
    });
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(done.iteration, 2);
    await h.svc.telemetry.settle();
    const after = await scrape(h.svc.url, TOKEN);

    assertEquals(
      sample(after, "aos_runs_finished_total", { status: "SUCCEEDED" }),
      1,
    );
    assertEquals(sample(after, "aos_runs", { status: "SUCCEEDED" }), 1);
    assertEquals(sample(after, "aos_runs", { status: "RUNNING" }), 0);
    // One series per status, the waiting ones (AWAITING_APPROVAL, PAUSED) too.
    assertEquals(
      after.samples.filter((s) => s.name === "aos_runs").map((s) =>
        s.labels.status
      ),
      [...RUN_STATUSES],
    );
    assertEquals(
      observations(after, "aos_run_duration_seconds", { status: "SUCCEEDED" }),
      1,
    );
    assertEquals(
      observations(after, "aos_iteration_duration_seconds", {
        decision: "FAIL",
      }),
      1,
    );
    assertEquals(
      observations(after, "aos_iteration_duration_seconds", {
        decision: "PASS",
      }),
      1,
    );
    assertEquals(observations(after, "aos_setup_duration_seconds"), 1);
    // Two SE calls and one PO call, each priced and counted by model.
    const model = { model: "gpt-4.1-mini" };
    assertEquals(
      observations(after, "aos_model_call_duration_seconds", {
        ...model,
        agent: "se",
        outcome: "ok",
      }),
      2,
    );
    assertEquals(
      observations(after, "aos_model_call_duration_seconds", {
        ...model,
        agent: "po",
      }),
      1,
    );
    const stored = await h.svc.store.getRun(run.id);
    assertEquals(
      sample(after, "aos_model_tokens_total", { type: "prompt" }) +
        sample(after, "aos_model_tokens_total", { type: "completion" }),
      stored.usage.total_tokens,
    );
    ok(stored.usage.total_tokens > 0);
    ok(
      Math.abs(
        sample(after, "aos_model_cost_usd_total") - stored.usage.cost_usd,
      ) < 1e-6,
    );
    // The acceptance command ran twice: failed, then passed.
    assertEquals(
      observations(after, "aos_command_duration_seconds", {
        source: "acceptance",
        outcome: "failed",
      }),
      1,
    );
    assertEquals(
      observations(after, "aos_command_duration_seconds", {
        source: "acceptance",
        outcome: "ok",
      }),
      1,
    );
    ok(
      observations(after, "aos_actor_hop_latency_seconds", { actor: "run" }) >=
        6,
    );
    assertEquals(sample(after, "aos_worker_slots"), 4);
    assertEquals(sample(after, "aos_model_errors_total"), 0);
    // No label anywhere carries the run id.
    const text = await (await fetch(`${h.svc.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })).text();
    ok(!text.includes(run.id), "a run id appears in /metrics");
  });
});

Deno.test("/metrics refuses a request without the API token, unless AOS_METRICS_PUBLIC=true", async () => {
  await withHarness({ env: { AOS_API_TOKEN: TOKEN } }, async (h) => {
    const none = await fetch(`${h.svc.url}/metrics`);
    assertEquals(none.status, 401);
    assertEquals((await none.json()).error.code, "unauthorized");
    const wrong = await fetch(`${h.svc.url}/metrics`, {
      headers: { authorization: "Bearer nope" },
    });
    assertEquals(wrong.status, 401);
    await wrong.body?.cancel();
    const right = await fetch(`${h.svc.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assertEquals(right.status, 200);
    ok(right.headers.get("content-type")?.startsWith("text/plain"));
    await parseMetrics(await right.text());
  });
  await withHarness({
    env: { AOS_API_TOKEN: TOKEN, AOS_METRICS_PUBLIC: "true" },
  }, async (h) => {
    const open = await fetch(`${h.svc.url}/metrics`);
    assertEquals(open.status, 200);
    const scraped = await parseMetrics(await open.text());
    assertEquals(scraped.types.get("aos_runs"), "gauge");
    assertEquals(scraped.types.get("aos_runs_finished"), "counter");
    // The token still guards everything else.
    const runs = await fetch(`${h.svc.url}/runs`);
    assertEquals(runs.status, 401);
    await runs.body?.cancel();
  });
});
