/** Streaming, timeouts, progress and retries as a watcher sees them (scripted model over HTTP). */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import {
  ModelClient,
  type ModelProgressInfo,
  type ModelRetryInfo,
} from "./client.ts";
import { readCompletionResponse } from "./stream.ts";
import {
  chatRequest as request,
  errorReply,
  KEY,
  modelError,
  type ScriptedReply,
  withModel,
} from "./testing.ts";

const longArguments = { summary: "x".repeat(3_000) };

Deno.test("ModelClient.chat() streams: tool-call deltas assembled, usage from the last chunk", async () => {
  await withModel(
    [{
      content: "thinking aloud",
      tool_calls: [{ name: "finish", arguments: longArguments }],
    }],
    {},
    async (client, model) => {
      const reply = await client.chat(request());
      const call = reply.message.tool_calls?.[0];
      assert(call?.type === "function");
      assertEquals(call.function.name, "finish");
      assertEquals(JSON.parse(call.function.arguments), longArguments);
      assertEquals(reply.message.content, "thinking aloud");
      assertEquals(reply.finishReason, "tool_calls");
      assert(
        reply.usage.completion_tokens > 700,
        `${reply.usage.completion_tokens}`,
      );
      const body = model.requests[0]?.body as Record<string, unknown>;
      assertEquals(body.stream, true);
      assertEquals(body.stream_options, { include_usage: true });
    },
  );
});

Deno.test("ModelClient.chat() reads a slow streamed reply whole and reports progress while it comes", async () => {
  const progress: ModelProgressInfo[] = [];
  await withModel(
    [{
      tool_calls: [{ name: "finish", arguments: longArguments }],
      chunkDelayMs: 15,
    }],
    { heartbeatMs: 50, timeoutMs: 30_000 },
    async (client) => {
      const reply = await client.chat({
        ...request(),
        observer: { progress: (info) => progress.push(info) },
      });
      const call = reply.message.tool_calls?.[0];
      assert(call?.type === "function");
      assertEquals(JSON.parse(call.function.arguments), longArguments);
    },
  );
  assert(progress.length >= 3, `${progress.length} heartbeats`);
  const last = progress.at(-1)!;
  assert(last.phase === "replying" && last.tokens > 0 && last.chars > 0);
  assert(last.elapsedMs >= progress[0]!.elapsedMs);
});

Deno.test("ModelClient.chat() heartbeats say whether the server has answered and the reply begun", async () => {
  const phases = async (first: ScriptedReply) => {
    const seen: string[] = [];
    await withModel([first], { heartbeatMs: 40 }, async (client) => {
      await client.chat({
        ...request(),
        observer: { progress: (info) => seen.push(info.phase) },
      });
    });
    return seen;
  };
  const finish = {
    tool_calls: [{ name: "finish", arguments: { summary: "s" } }],
  };
  // No headers for a second: the server has not answered.
  const waiting = await phases({ delayMs: 1_000, then: finish });
  assert(waiting.includes("waiting"), waiting.join());
  assert(!waiting.slice(0, waiting.indexOf("waiting")).length);
  // Headers at once, the first piece after a second: the model reads the
  // prompt (the empty role chunk servers send at once changes nothing).
  const prompt = await phases({ ...finish, chunkDelayMs: 1_000 });
  const first = prompt.indexOf("prompt");
  assert(first >= 0, prompt.join());
  assert(!prompt.slice(0, first).includes("replying"), prompt.join());
});

Deno.test("ModelClient.chat() cuts a reply that passes AOS_MODEL_TIMEOUT_S mid-stream", async () => {
  const slow = {
    tool_calls: [{ name: "finish", arguments: longArguments }],
    chunkDelayMs: 200,
  };
  await withModel([slow], { timeoutMs: 300, maxRetries: 0 }, async (client) => {
    const error = await modelError(client.chat(request()), "timeout");
    assertMatch(error.message, /within 300 ms \(AOS_MODEL_TIMEOUT_S\)/);
  });
});

Deno.test("ModelClient.chat() asks again without streaming when the server refuses it", async () => {
  await withModel(
    [
      errorReply(400, null, { message: "stream is not supported" }),
      { tool_calls: [{ name: "finish", arguments: { summary: "plain" } }] },
    ],
    {},
    async (client, model) => {
      const reply = await client.chat(request());
      assertEquals(reply.message.tool_calls?.length, 1);
      const bodies = model.requests.map((r) =>
        r.body as Record<string, unknown>
      );
      assertEquals(bodies.map((b) => b.stream), [true, undefined]);
      // Remembered for the client's next request.
      await client.chat(request()).catch(() => {});
      assertEquals(
        (model.requests[2]?.body as Record<string, unknown>).stream,
        undefined,
      );
    },
  );
});

Deno.test("ModelClient.chat() reads a plain JSON answer to a streamed request", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      Response.json({
        id: "x",
        object: "chat.completion",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "hello" },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
  );
  try {
    const client = new ModelClient({
      apiKey: KEY,
      baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
      model: "m",
    });
    const reply = await client.chat(request());
    assertEquals(reply.message.content, "hello");
    assertEquals(reply.usage.total_tokens, 4);
  } finally {
    await server.shutdown();
  }
});

Deno.test("ModelClient.chat() tells the observer of each retry, and gives up on a refused connection within seconds", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const retries: ModelRetryInfo[] = [];
  const client = new ModelClient({
    apiKey: KEY,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    model: "m",
    retryBaseMs: 1,
  });
  const error = await modelError(
    client.chat({ ...request(), observer: { retry: (r) => retries.push(r) } }),
    "server",
  );
  assertMatch(
    error.message,
    /at http:\/\/127\.0\.0\.1:\d+\/v1 \(OPENAI_BASE_URL\) after 6 attempts: connection refused$/,
  );
  assertEquals(retries.map((r) => r.attempt), [2, 3, 4, 5, 6]);
  assert(retries.every((r) => r.reason === "connection refused"));
});

Deno.test("readCompletionResponse() refuses a hostile stream clearly", async () => {
  const sse = (text: string) =>
    new Response(text, { headers: { "content-type": "text/event-stream" } });
  const cases: [string, RegExp][] = [
    ["data: {not json\n\n", /a stream event is not JSON/],
    ["data: [DONE]\n\n", /ended without a chunk/],
    [
      'data: {"error": {"message": "model crashed"}}\n\n',
      /error mid-stream: model crashed/,
    ],
  ];
  for (const [text, pattern] of cases) {
    await readCompletionResponse(sse(text), () => {}).then(
      () => assert(false, `accepted ${text}`),
      (error) => assertMatch(String(error.message), pattern),
    );
  }
  // Tool-call deltas with hostile indexes land in a bounded list.
  const chunks = [
    {
      choices: [{
        delta: {
          tool_calls: [{
            index: 1e9,
            id: "a",
            function: { name: "f", arguments: "{}" },
          }],
        },
      }],
    },
    { choices: [{ delta: {}, finish_reason: "tool_calls" }] },
  ].map((c) => `data: ${JSON.stringify(c)}\n\n`).join("");
  const completion = await readCompletionResponse(sse(chunks), () => {}) as {
    choices: { message: { tool_calls: unknown[] } }[];
  };
  assertEquals(completion.choices[0]?.message.tool_calls.length, 1);
});

Deno.test("readCompletionResponse() fails, never returns a partial reply, once its signal aborts", async () => {
  const encoder = new TextEncoder();
  const first = {
    choices: [{ delta: { content: "partial" }, finish_reason: null }],
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(first)}\n\n`));
      // …and nothing more: a model that stalls mid-reply.
    },
  });
  const response = new Response(body, {
    headers: { "content-type": "text/event-stream" },
  });
  const abort = new AbortController();
  const reading = readCompletionResponse(response, () => {
    abort.abort(new Error("timed out"));
  }, abort.signal);
  await reading.then(
    () => assert(false, "a partial reply was returned"),
    (error) => assertMatch(String(error), /timed out/),
  );
});
