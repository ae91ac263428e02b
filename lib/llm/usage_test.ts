import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  addUsage,
  emptyUsage,
  estimateCostUsd,
  priced,
  readUsage,
} from "./usage.ts";

Deno.test("readUsage() reads the detail counts and tolerates their absence", () => {
  assertEquals(readUsage(undefined), emptyUsage());
  assertEquals(
    readUsage({
      prompt_tokens: 10,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 99 },
      completion_tokens_details: { reasoning_tokens: -1 },
    }),
    {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      // A cached count above the prompt is clamped; a negative one is 0.
      cached_tokens: 10,
      reasoning_tokens: 0,
    },
  );
});

Deno.test("addUsage() sums every count", () => {
  const one = readUsage({
    prompt_tokens: 3,
    completion_tokens: 2,
    prompt_tokens_details: { cached_tokens: 1 },
    completion_tokens_details: { reasoning_tokens: 1 },
  });
  assertEquals(addUsage(one, one), {
    prompt_tokens: 6,
    completion_tokens: 4,
    total_tokens: 10,
    cached_tokens: 2,
    reasoning_tokens: 2,
  });
});

Deno.test("estimateCostUsd() prices cached input at its own rate", () => {
  const million = { prompt_tokens: 1_000_000, completion_tokens: 0 };
  assertEquals(estimateCostUsd("gpt-4.1", million), 2);
  assertEquals(
    estimateCostUsd("gpt-4.1", { ...million, cached_tokens: 1_000_000 }),
    0.5,
  );
  assertEquals(
    estimateCostUsd("gpt-4.1", { ...million, cached_tokens: 500_000 }),
    1.25,
  );
  assertEquals(
    estimateCostUsd("gpt-5-mini", {
      prompt_tokens: 0,
      completion_tokens: 1_000_000,
      cached_tokens: 0,
    }),
    2,
  );
});

Deno.test("priced() adds the model's cost and zero detail counts a usage lacks", () => {
  const usage = {
    prompt_tokens: 1000,
    completion_tokens: 500,
    total_tokens: 1500,
  };
  assertEquals(priced("gpt-4.1", usage), {
    ...usage,
    cached_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: estimateCostUsd("gpt-4.1", usage),
  });
  assertEquals(priced("no-such-model", usage).cost_usd, 0);
});
