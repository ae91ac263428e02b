import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { Metrics } from "./metrics.ts";
import { parseMetrics, sample } from "../../tests/support/prometheus.ts";
import type { ModelCall } from "../llm/mod.ts";

function metrics(): Metrics {
  return new Metrics({
    models: ["gpt-4.1"],
    sources: {
      runCounts: () => Promise.resolve({ PENDING: 3, RUNNING: 1, total: 4 }),
      runtime: () => null,
      disk: () => Promise.resolve(null),
    },
  });
}

function call(model: string): ModelCall {
  return {
    model,
    startedAt: 0,
    durationMs: 1200,
    usage: {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cached_tokens: 0,
      reasoning_tokens: 0,
    },
    errorKind: null,
    retries: ["rate_limited"],
  };
}

Deno.test("Metrics keeps model labels bounded when work orders name hostile or endless model strings", async () => {
  const m = metrics();
  m.modelCall("se", call("gpt-4.1"));
  for (let i = 0; i < 100; i++) {
    m.modelCall(
      "se",
      call(`evil-${i}"} 1\n# TYPE aos_runs counter\naos_x{a="`),
    );
  }
  m.modelCall("po", call('\u0000\n"\\'));
  const text = await m.render();
  const scrape = await parseMetrics(text);
  const models = new Set(
    scrape.samples.filter((s) => s.name === "aos_model_tokens_total").map((
      s,
    ) => s.labels.model),
  );
  // The configured model, at most 20 others, and "other" for the rest.
  ok(models.has("gpt-4.1"));
  ok(models.has("other"));
  ok(models.size <= 22, `${models.size} model labels`);
  for (const model of models) ok(/^[A-Za-z0-9._:/@+-]{1,64}$/.test(model!));
  // Nothing the model strings said became a line of their own.
  ok(!text.includes("\naos_x"));
  assertEquals(scrape.types.get("aos_runs"), "gauge");
  // Every call still counted: 102 calls × 10 prompt tokens.
  assertEquals(
    sample(scrape, "aos_model_tokens_total", { type: "prompt" }),
    1020,
  );
  assertEquals(sample(scrape, "aos_model_retries_total"), 102);
  assertEquals(sample(scrape, "aos_runs", { status: "PENDING" }), 3);
});

Deno.test("Metrics counts failed model calls by kind, without tokens", async () => {
  const m = metrics();
  m.modelCall("po", { ...call("gpt-4.1"), usage: null, errorKind: "timeout" });
  const scrape = await parseMetrics(await m.render());
  assertEquals(
    sample(scrape, "aos_model_errors_total", { kind: "timeout", agent: "po" }),
    1,
  );
  assertEquals(sample(scrape, "aos_model_tokens_total"), 0);
  assertEquals(
    sample(scrape, "aos_model_call_duration_seconds_count", {
      outcome: "error",
    }),
    1,
  );
});
