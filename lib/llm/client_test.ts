import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import {
  type ChatCompletionTool,
  estimateCostUsd,
  ModelClient,
} from "./client.ts";
import {
  chatRequest as request,
  finishReply,
  KEY,
  modelError,
  poVerdict,
  startScriptedModel,
  withModel,
} from "./testing.ts";

Deno.test("ModelClient.chat() returns the tool call, usage and finish reason", async () => {
  await withModel([finishReply], {}, async (client, model) => {
    const reply = await client.chat(request());
    assertEquals(reply.finishReason, "tool_calls");
    const call = reply.message.tool_calls?.[0];
    assert(call && call.type === "function");
    assertEquals(call.function.name, "finish");
    assertEquals(JSON.parse(call.function.arguments), { summary: "hi" });
    assert(reply.usage.prompt_tokens > 0);
    assertEquals(
      reply.usage.total_tokens,
      reply.usage.prompt_tokens + reply.usage.completion_tokens,
    );
    assertEquals(model.requests.length, 1);
    const body = model.requests[0]?.body as {
      model: string;
      tool_choice: string;
    };
    assertEquals(body.model, "gpt-4.1-mini");
    assertEquals(body.tool_choice, "auto");
  });
});

Deno.test("ModelClient.chat() retries a 429 and then succeeds", async () => {
  await withModel(
    {
      se: [{ status: 429, headers: { "retry-after": "0" } }, finishReply],
      po: [],
    },
    {},
    async (client, model) => {
      const reply = await client.chat(request());
      assertEquals(reply.message.tool_calls?.length, 1);
      assertEquals(model.requests.length, 2);
    },
  );
});

Deno.test("ModelClient.chat() gives up on repeated 500s with a server error", async () => {
  const script = {
    se: [{ status: 500 }, { status: 502 }, { status: 500 }, finishReply],
    po: [],
  };
  await withModel(script, { maxRetries: 2 }, async (client, model) => {
    const error = await modelError(client.chat(request()), "server");
    assertEquals(
      error.message,
      "Model API returned HTTP 500 after 3 attempts: Scripted HTTP 500",
    );
    assertEquals(error.retryable, true);
    assertEquals(model.requests.length, 3);
    assertEquals(model.remaining().se, 1);
  });
});

Deno.test("ModelClient.chat() reports a garbage body as bad_response without retrying", async () => {
  await withModel(
    [{ garbage: "<html>not json" }, finishReply],
    {},
    async (client, model) => {
      const error = await modelError(client.chat(request()), "bad_response");
      assertMatch(error.message, /^Model reply is not valid/);
      assertEquals(model.requests.length, 1);
    },
  );
});

Deno.test("ModelClient.chat() reports a completion without choices as bad_response", async () => {
  await withModel(
    [{ garbage: '{"id":"x","choices":[]}' }],
    {},
    async (client) => {
      const error = await modelError(client.chat(request()), "bad_response");
      assertEquals(
        error.message,
        "Model reply is not valid: it has no choices[0].message",
      );
    },
  );
});

Deno.test("ModelClient.chat() without an API key fails with config before any request", async () => {
  await withModel(
    [finishReply],
    { apiKey: null },
    async (client, model) => {
      const error = await modelError(client.chat(request()), "config");
      assertEquals(
        error.message,
        "Model API key is missing: set OPENAI_API_KEY",
      );
      assertEquals(model.requests.length, 0);
    },
  );
});

Deno.test("ModelClient.chat() with a wrong API key fails with auth, naming neither key", async () => {
  const model = await startScriptedModel({ se: [finishReply], po: [] }, {
    apiKey: KEY,
  });
  try {
    const wrongKey = "sk-wrong-SECRET-0000";
    const client = new ModelClient({
      apiKey: wrongKey,
      baseUrl: model.url,
      model: "m",
      retryBaseMs: 1,
    });
    const error = await modelError(client.chat(request()), "auth");
    assert(!error.message.includes(wrongKey));
    assertMatch(error.message, /HTTP 401/);
    assertEquals(model.requests.length, 1);
    assertEquals(model.requests[0]?.authorized, false);
    assert(!JSON.stringify(model.requests).includes(wrongKey));
  } finally {
    await model.close();
  }
});

Deno.test("ModelClient.chat() aborted while the model is slow fails as cancelled", async () => {
  await withModel(
    [{ delayMs: 60_000, then: finishReply }],
    {},
    async (client, model) => {
      const controller = new AbortController();
      const pending = client.chat(request(controller.signal));
      while (model.requests.length === 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
      controller.abort();
      const error = await modelError(pending, "cancelled");
      assertEquals(error.retryable, false);
      assertEquals(model.requests.length, 1);
    },
  );
});

Deno.test("ModelClient.chat() turns a per-request timeout into a timeout error after retries", async () => {
  const slow = { delayMs: 60_000, then: finishReply };
  await withModel([slow, slow], {
    maxRetries: 1,
    timeoutMs: 50,
  }, async (client, model) => {
    const error = await modelError(client.chat(request()), "timeout");
    assertMatch(
      error.message,
      /did not finish its reply within 50 ms \(AOS_MODEL_TIMEOUT_S\) after 2 attempts/,
    );
    assertEquals(model.requests.length, 2);
  });
});

Deno.test("ModelClient.chat() reports an unreachable endpoint as a server error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const client = new ModelClient({
    apiKey: KEY,
    baseUrl: `http://user:url-password-SECRET@127.0.0.1:${port}/v1`,
    model: "m",
    maxRetries: 1,
    retryBaseMs: 1,
  });
  const error = await modelError(client.chat(request()), "server");
  assert(!error.message.includes("url-password-SECRET"), error.message);
  assertMatch(
    error.message,
    new RegExp(
      `^Could not reach the model API at http://127.0.0.1:${port}/v1 \\(OPENAI_BASE_URL\\) after 2 attempts: connection refused$`,
    ),
  );
});

Deno.test("ModelClient.chat() sends tool_choice required when asked", async () => {
  await withModel(
    { se: [], po: [poVerdict("PASS", "ok")] },
    {},
    async (client, model) => {
      const tools: ChatCompletionTool[] = [{
        type: "function",
        function: {
          name: "submit_verdict",
          parameters: { type: "object", properties: {} },
        },
      }];
      await client.chat({
        messages: [{ role: "user", content: "judge" }],
        tools,
        toolChoice: "required",
      });
      assertEquals(
        (model.requests[0]?.body as { tool_choice: string }).tool_choice,
        "required",
      );
      assertEquals(model.requests[0]?.agent, "po");
    },
  );
});

Deno.test("estimateCostUsd() prices known models and returns 0 for unknown ones", () => {
  const usage = {
    prompt_tokens: 1_000_000,
    completion_tokens: 1_000_000,
    total_tokens: 2_000_000,
  };
  assertEquals(estimateCostUsd("gpt-4.1", usage), 10);
  assertEquals(estimateCostUsd("gpt-4.1-mini", usage), 2);
  assertEquals(estimateCostUsd("gpt-4o-2024-08-06", usage), 12.5);
  assertEquals(estimateCostUsd("my-local-llama", usage), 0);
});
