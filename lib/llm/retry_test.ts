import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type Clock, ModelClient } from "./client.ts";
import {
  chatRequest,
  errorReply,
  finishReply,
  KEY,
  modelError,
  withModel,
} from "./testing.ts";

const request = chatRequest();

/** A clock whose sleeps return at once and move time forward; `sleeps` records each wait. */
function fakeClock(start = Date.parse("2026-12-01T10:00:00Z")) {
  const sleeps: number[] = [];
  let now = start;
  const clock: Clock = {
    now: () => now,
    sleep(ms) {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

Deno.test("ModelClient.chat() waits the Retry-After seconds of a 429 before asking again", async () => {
  const { clock, sleeps } = fakeClock();
  await withModel(
    [
      errorReply(429, "rate_limit_exceeded", {
        headers: { "retry-after": "5" },
      }),
      finishReply,
    ],
    { clock },
    async (client, model) => {
      const reply = await client.chat(request);
      assertEquals(reply.finishReason, "tool_calls");
      assertEquals(model.requests.length, 2);
      // With retryBaseMs 1 the backoff alone would wait about 1 ms.
      assertEquals(sleeps, [5000]);
    },
  );
});

Deno.test("ModelClient.chat() honours retry-after-ms and an HTTP-date Retry-After", async () => {
  const { clock, sleeps } = fakeClock();
  const at = new Date(clock.now() + 90_000).toUTCString();
  await withModel(
    [
      errorReply(429, null, { headers: { "retry-after-ms": "1500" } }),
      errorReply(503, null, { headers: { "retry-after": at } }),
      finishReply,
    ],
    { clock },
    async (client, model) => {
      await client.chat(request);
      assertEquals(model.requests.length, 3);
      // The date is 90 s after the start; 1.5 s of it were already waited.
      assertEquals(sleeps, [1500, 88_500]);
    },
  );
});

Deno.test("ModelClient.chat() waits a Retry-After of minutes within the retry window", async () => {
  const { clock, sleeps } = fakeClock();
  await withModel(
    [errorReply(429, null, { headers: { "retry-after": "240" } }), finishReply],
    { clock, retryWindowMs: 300_000 },
    async (client) => {
      await client.chat(request);
      assertEquals(sleeps, [240_000]);
    },
  );
});

Deno.test("ModelClient.chat() gives up at once when Retry-After passes the retry window", async () => {
  const { clock, sleeps } = fakeClock();
  await withModel(
    [errorReply(429, null, { headers: { "retry-after": "900" } }), finishReply],
    { clock, retryWindowMs: 600_000 },
    async (client, model) => {
      const error = await modelError(client.chat(request), "rate_limited");
      assertMatch(
        error.message,
        /waiting 900 s more would pass the retry window of 600 s/,
      );
      assertEquals(error.retryable, false);
      assertEquals(sleeps, []);
      assertEquals(model.requests.length, 1);
    },
  );
});

Deno.test("ModelClient.chat() keeps backing off on 5xx until the window is used up", async () => {
  const { clock, sleeps } = fakeClock();
  const fail = errorReply(500, null);
  await withModel(
    Array.from({ length: 20 }, () => fail),
    { clock, retryBaseMs: 10_000, retryWindowMs: 60_000, maxRetries: 50 },
    async (client, model) => {
      const error = await modelError(client.chat(request), "server");
      assertMatch(error.message, /retry window of 60 s/);
      const waited = sleeps.reduce((a, b) => a + b, 0);
      assert(waited <= 60_000, `waited ${waited} ms`);
      assert(sleeps.length >= 2, `only ${sleeps.length} retries`);
      assertEquals(model.requests.length, sleeps.length + 1);
    },
  );
});

for (
  const [label, reply, kind] of [
    [
      "429 insufficient_quota",
      errorReply(429, "insufficient_quota", {
        type: "insufficient_quota",
        headers: { "retry-after": "1" },
      }),
      "quota",
    ],
    ["401", errorReply(401, "invalid_api_key"), "auth"],
    ["404 model not found", errorReply(404, "model_not_found"), "config"],
    [
      "400 context_length_exceeded",
      errorReply(400, "context_length_exceeded", {
        message: "This model's maximum context length is 128000 tokens",
      }),
      "context_length",
    ],
  ] as const
) {
  Deno.test(`ModelClient.chat() never retries ${label}`, async () => {
    const { clock, sleeps } = fakeClock();
    await withModel([reply, finishReply], { clock }, async (client, model) => {
      const error = await modelError(client.chat(request), kind);
      assertEquals(error.retryable, false);
      assertEquals(model.requests.length, 1);
      assertEquals(sleeps, []);
    });
  });
}

Deno.test("ModelClient.chat() recognises an over-long prompt from the message alone (vLLM)", async () => {
  await withModel(
    [{
      status: 400,
      body: JSON.stringify({
        object: "error",
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens",
        type: "BadRequestError",
        code: 400,
      }),
    }],
    {},
    async (client) => {
      await modelError(client.chat(request), "context_length");
    },
  );
});

Deno.test("ModelClient.chat() reads cached and reasoning tokens", async () => {
  await withModel(
    [{
      ...finishReply,
      usage: {
        prompt_tokens: 1000,
        completion_tokens: 300,
        total_tokens: 1300,
        prompt_tokens_details: { cached_tokens: 800 },
        completion_tokens_details: { reasoning_tokens: 200 },
      },
    }],
    {},
    async (client) => {
      const { usage } = await client.chat(request);
      assertEquals(usage, {
        prompt_tokens: 1000,
        completion_tokens: 300,
        total_tokens: 1300,
        cached_tokens: 800,
        reasoning_tokens: 200,
      });
    },
  );
});

Deno.test("ModelClient.chat() sends the output cap and reasoning effort", async () => {
  await withModel(
    [finishReply, finishReply, finishReply],
    {},
    async (_client, model) => {
      const url = model.url;
      const base = { apiKey: KEY, baseUrl: url };
      await new ModelClient({
        ...base,
        model: "gpt-4.1-mini",
        maxOutputTokens: 4000,
      })
        .chat(request);
      await new ModelClient({
        ...base,
        model: "o4-mini",
        reasoningEffort: "low",
      })
        .chat(request);
      await new ModelClient({
        ...base,
        model: "llama",
        maxOutputTokens: null,
      }).chat(request);
      const bodies = model.requests.map((r) =>
        r.body as Record<string, unknown>
      );
      // Another endpoint than OpenAI's, not a reasoning model: the classic field.
      assertEquals(bodies[0]?.max_tokens, 4000);
      assertEquals(bodies[0]?.max_completion_tokens, undefined);
      assertEquals(bodies[0]?.reasoning_effort, undefined);
      assertEquals(bodies[1]?.max_completion_tokens, 16_384);
      assertEquals(bodies[1]?.max_tokens, undefined);
      assertEquals(bodies[1]?.reasoning_effort, "low");
      assertEquals(bodies[2]?.max_tokens, undefined);
      assertEquals(bodies[2]?.max_completion_tokens, undefined);
    },
  );
});
