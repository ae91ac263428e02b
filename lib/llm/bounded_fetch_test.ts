import {
  match as assertMatch,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { ModelClient, ModelError } from "./client.ts";
import { boundedFetch, ReplyTooLargeError } from "./bounded_fetch.ts";
import { chatRequest } from "./testing.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

const MIB = 1024 * 1024;

/** A chat completion whose one message carries `bytes` of text, as JSON bytes. */
function hugeCompletion(bytes: number): Uint8Array<ArrayBuffer> {
  const head = '{"id":"x","object":"chat.completion","created":1,"model":"m",' +
    '"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"';
  const tail =
    '"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
  const out = new Uint8Array(head.length + bytes + tail.length);
  const encoder = new TextEncoder();
  out.set(encoder.encode(head));
  out.fill(0x61, head.length, head.length + bytes);
  out.set(encoder.encode(tail), head.length + bytes);
  return out;
}

/** A hostile endpoint: every request gets `body`, with or without a Content-Length. */
async function withHostileModel(
  body: Uint8Array<ArrayBuffer>,
  opts: { chunked: boolean },
  fn: (url: string, requests: () => number) => Promise<void>,
): Promise<void> {
  let requests = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => {
      requests++;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < body.length; at += 64 * 1024) {
            controller.enqueue(body.subarray(at, at + 64 * 1024));
          }
          controller.close();
        },
      });
      return new Response(opts.chunked ? stream : body, {
        headers: { "content-type": "application/json" },
      });
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1`, () => requests);
  } finally {
    await server.shutdown();
  }
}

for (const chunked of [false, true]) {
  Deno.test(`ModelClient refuses a 24 MiB reply (${chunked ? "chunked" : "with Content-Length"}) at once, without retrying or stalling the loop`, async () => {
    const body = hugeCompletion(24 * MIB);
    await withHostileModel(body, { chunked }, async (url, requests) => {
      const client = new ModelClient({
        apiKey: "sk-test-key-123456",
        baseUrl: url,
        model: "m",
        retryBaseMs: 1,
      });
      const { lagMs } = await withLagProbe(() =>
        rejects(client.chat(chatRequest()), (error) => {
          assert(error instanceof ModelError, String(error));
          assertMatch(
            error.message,
            /larger than the 4194304 bytes AOS accepts/,
          );
          assert(!error.retryable);
          return true;
        })
      );
      assert(requests() === 1, `${requests()} requests`);
      assert(lagMs < MAX_LAG_MS, `event loop blocked for ${lagMs} ms`);
    });
  });
}

Deno.test("ModelClient refuses a streamed reply past the cap the same way", async () => {
  const encoder = new TextEncoder();
  const delta = encoder.encode(
    `data: ${
      JSON.stringify({
        id: "x",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{
          index: 0,
          delta: { content: "z".repeat(60 * 1024) },
          finish_reason: null,
        }],
      })
    }\n\n`,
  );
  let requests = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (req) => {
      requests++;
      await req.body?.cancel();
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ > 400) return controller.close();
          controller.enqueue(delta);
        },
      });
      return new Response(stream, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  );
  try {
    const client = new ModelClient({
      apiKey: "sk-test-key-123456",
      baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
      model: "m",
      retryBaseMs: 1,
    });
    const { lagMs } = await withLagProbe(() =>
      rejects(client.chat(chatRequest()), (error) => {
        assert(error instanceof ModelError, String(error));
        assertMatch(error.message, /larger than the 4194304 bytes AOS accepts/);
        return true;
      })
    );
    assert(requests === 1, `${requests} requests`);
    assert(lagMs < MAX_LAG_MS, `event loop blocked for ${lagMs} ms`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("boundedFetch() passes a reply under the cap through whole", async () => {
  const body = hugeCompletion(1000);
  await withHostileModel(body, { chunked: true }, async (url) => {
    const response = await boundedFetch(2000)(`${url}/chat/completions`);
    const parsed = await response.json();
    assert(parsed.choices[0].message.content === "a".repeat(1000));
    await rejects(
      (await boundedFetch(999)(`${url}/chat/completions`)).arrayBuffer(),
      ReplyTooLargeError,
    );
  });
});
