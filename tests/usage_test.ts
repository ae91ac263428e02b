/** The run record's usage counts what the model API reported: cached and reasoning tokens too, and the cost they make. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { estimateCostUsd } from "../lib/llm/mod.ts";
import { PASS, writeCalculator } from "./support/calculator.ts";
import { withHarness } from "./support/harness.ts";

const USAGE = {
  prompt_tokens: 1000,
  completion_tokens: 50,
  total_tokens: 1050,
  prompt_tokens_details: { cached_tokens: 600 },
  completion_tokens_details: { reasoning_tokens: 20 },
};

Deno.test("a run's usage sums the prompt-cache and reasoning tokens of every model call and prices them", async () => {
  await withHarness({
    script: {
      se: [{ ...writeCalculator("done"), usage: USAGE }],
      po: [{ ...PASS, usage: USAGE }],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: ["python3 -c 'import calculator'"],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const calls = h.model.requests.length;
    assertEquals(calls, 2);
    const one = estimateCostUsd("gpt-4.1-mini", {
      prompt_tokens: 1000,
      completion_tokens: 50,
      cached_tokens: 600,
    });
    const stored = await (await fetch(`${h.svc.url}/runs/${run.id}`)).json();
    assertEquals(stored.usage, {
      prompt_tokens: 2000,
      completion_tokens: 100,
      total_tokens: 2100,
      cached_tokens: 1200,
      reasoning_tokens: 40,
      cost_usd: Math.round(2 * one * 1e6) / 1e6,
    });
  });
});
