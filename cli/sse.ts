/** Follows a run's events over Server-Sent Events, reconnecting with Last-Event-ID on a drop. */
import type { RunEvent } from "../lib/store/types.ts";
import { TERMINAL_STATUSES } from "../lib/store/types.ts";
import type { AosClient } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";

/** One dispatched SSE message. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Parses an SSE byte stream into messages (comments and empty data are skipped). */
export async function* parseSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<SseMessage> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        const width = buffer.startsWith("\r\n", newline) ? 2 : 1;
        // A lone \r at the end of a chunk may be the first half of \r\n.
        if (
          width === 1 && buffer[newline] === "\r" &&
          newline === buffer.length - 1
        ) break;
        buffer = buffer.slice(newline + width);
        if (line === "") {
          if (data.length) {
            yield { id, event: event || "message", data: data.join("\n") };
          }
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (name === "data") data.push(value);
        else if (name === "event") event = value;
        else if (name === "id" && !value.includes("\0")) id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Options of `followEvents`. */
export interface FollowOptions {
  /** Start after this event sequence (all events when absent). */
  after?: string | undefined;
  signal?: AbortSignal | undefined;
  /** First reconnect delay; doubles up to 2 s. */
  retryDelayMs?: number;
  /** Consecutive failed reconnects before giving up with exit 5. */
  maxRetries?: number;
}

/** A RunEvent from SSE data, or null when the data is not one. */
function parseEvent(data: string): RunEvent | null {
  try {
    const event = JSON.parse(data) as RunEvent;
    return event && typeof event.kind === "string" ? event : null;
  } catch {
    return null;
  }
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Yields a run's events in order until its `RUN_END`, live. A dropped stream is
 * reopened from the last event seen; when the run has ended meanwhile, the rest is
 * fetched as JSON. Unreachable for `maxRetries` attempts in a row ⇒ `CliError` (exit 5).
 */
export async function* followEvents(
  client: AosClient,
  runId: string,
  opts: FollowOptions = {},
): AsyncGenerator<RunEvent> {
  const { signal } = opts;
  const maxRetries = opts.maxRetries ?? 10;
  let last = opts.after;
  let failures = 0;
  let lastError: unknown;
  while (true) {
    try {
      const res = await client.openEventStream(runId, {
        lastEventId: last,
        signal,
      });
      if (!res.body) throw new TypeError("Event stream response has no body");
      for await (const message of parseSse(res.body)) {
        const event = parseEvent(message.data);
        if (!event) continue;
        last = message.id || event.seq || last;
        failures = 0;
        yield event;
        if (event.kind === "RUN_END") return;
      }
      lastError = undefined;
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof CliError && err.kind !== "unreachable") throw err;
      lastError = err;
    }
    // The stream closed before RUN_END: see whether the run ended meanwhile.
    try {
      const run = await client.getRun(runId);
      if (TERMINAL_STATUSES.has(run.status)) {
        for (const event of await client.listEvents(runId, last)) yield event;
        return;
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof CliError && err.kind !== "unreachable") throw err;
      lastError = err;
    }
    failures += 1;
    if (failures > maxRetries) {
      if (lastError instanceof CliError) throw lastError;
      throw new CliError(
        `Lost the event stream of run ${runId}: ${
          lastError instanceof Error
            ? lastError.message
            : "the server kept closing it"
        }`,
        {
          exitCode: EXIT.unreachable,
          kind: "stream",
          code: "stream_lost",
          cause: lastError,
        },
      );
    }
    await delay(
      Math.min((opts.retryDelayMs ?? 250) * 2 ** (failures - 1), 2000),
      signal,
    );
  }
}
