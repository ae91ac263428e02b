import assert from "node:assert/strict";
import type { RunEvent } from "../lib/store/types.ts";
import { AosClient } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";
import { refusedUrl, serve } from "./testing.ts";
import { followEvents, parseSse, type SseMessage } from "./sse.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

function ev(
  seq: string,
  kind: string,
  iteration: number | null = null,
): RunEvent {
  return {
    seq,
    ts: "2026-01-31T12:00:00Z",
    level: "INFO",
    kind,
    iteration,
    payload: {},
  };
}

function sse(events: RunEvent[]): string {
  return events.map((e) =>
    `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`
  )
    .join("");
}

Deno.test("parseSse() handles CRLF, split chunks, comments and multi-line data", async () => {
  const messages: SseMessage[] = await collect(parseSse(streamOf(
    ": ping\r\n\r\n",
    'id: 1\r\nevent: A\r\ndata: {"x":',
    "1}\r\n\r",
    "\nid: 2\ndata: line1\ndata: line2\n\n",
    "data: no-id-change\n\n",
  )));
  assert.deepEqual(messages, [
    { id: "1", event: "A", data: '{"x":1}' },
    { id: "2", event: "message", data: "line1\nline2" },
    { id: "2", event: "message", data: "no-id-change" },
  ]);
});

Deno.test("followEvents() reconnects with Last-Event-ID after a dropped stream", async () => {
  const lastIds: (string | null)[] = [];
  const server = serve((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/runs/r1") {
      return Response.json({ id: "r1", status: "RUNNING" });
    }
    if (path !== "/runs/r1/events/stream") {
      return new Response("no", { status: 404 });
    }
    lastIds.push(req.headers.get("last-event-id"));
    const body = lastIds.length === 1
      ? sse([ev("1", "RUN_CREATED"), ev("2", "RUN_START")]) // then the connection drops
      : sse([ev("3", "SE_OUTPUT", 1), ev("4", "RUN_END")]) +
        sse([ev("5", "AFTER_END")]);
    return new Response(body, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  try {
    const client = new AosClient({ baseUrl: server.url });
    const events = await collect(
      followEvents(client, "r1", { retryDelayMs: 1 }),
    );
    assert.deepEqual(events.map((e) => e.seq), ["1", "2", "3", "4"]);
    assert.deepEqual(lastIds, [null, "2"]);
  } finally {
    await server.close();
  }
});

Deno.test("followEvents() fetches the rest as JSON when the run ended while disconnected", async () => {
  const afters: (string | null)[] = [];
  const server = serve((req) => {
    const url = new URL(req.url);
    if (url.pathname === "/runs/r2") {
      return Response.json({ id: "r2", status: "FAILED" });
    }
    if (url.pathname === "/runs/r2/events") {
      const after = url.searchParams.get("after");
      afters.push(after);
      return Response.json(
        after === "1" ? [ev("2", "ERROR"), ev("3", "RUN_END")] : [],
      );
    }
    return new Response(sse([ev("1", "RUN_CREATED")]), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  try {
    const client = new AosClient({ baseUrl: server.url });
    const events = await collect(
      followEvents(client, "r2", { retryDelayMs: 1 }),
    );
    assert.deepEqual(events.map((e) => e.kind), [
      "RUN_CREATED",
      "ERROR",
      "RUN_END",
    ]);
    assert.deepEqual(afters, ["1", "3"]);
  } finally {
    await server.close();
  }
});

Deno.test("followEvents() gives up with exit 5 when the server stays unreachable", async () => {
  const url = await refusedUrl();
  const client = new AosClient({ baseUrl: url });
  await assert.rejects(
    collect(followEvents(client, "r3", { retryDelayMs: 1, maxRetries: 2 })),
    (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.exitCode, EXIT.unreachable);
      assert.match(err.message, /Cannot reach the AOS server/);
      return true;
    },
  );
});

Deno.test("followEvents() stops at once on a 404 without retrying", async () => {
  let calls = 0;
  const server = serve(() => {
    calls += 1;
    return Response.json({
      error: { code: "not_found", message: 'Run "nope" not found' },
    }, {
      status: 404,
    });
  });
  try {
    const client = new AosClient({ baseUrl: server.url });
    await assert.rejects(
      collect(followEvents(client, "nope", { retryDelayMs: 1 })),
      (err) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.exitCode, EXIT.invalid);
        assert.equal(err.message, 'Run "nope" not found');
        return true;
      },
    );
    assert.equal(calls, 1);
  } finally {
    await server.close();
  }
});
