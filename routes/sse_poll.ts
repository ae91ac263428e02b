/**
 * The two Server-Sent Event loops of the API and the pages: a poll of the
 * store until the client leaves or the server shuts down, and on it the tail
 * of a run's events (resuming after a seq, ending after RUN_END).
 */
import type { SSEStreamingApi } from "hono/streaming";
import type { RunEvent, RunStore } from "../lib/store/mod.ts";

/** A comment this often keeps proxies from closing an idle stream. */
const PING_MS = 15_000;

/** Options of `pollStream`. */
export interface PollOptions {
  /** Aborted at shutdown: the stream ends so the server can stop. */
  signal?: AbortSignal | undefined;
  /** Pause between rounds. */
  pollMs: number;
  /** One round; `"done"` ends the stream. */
  round: () => Promise<"done" | void>;
}

/** Runs `round` every `pollMs` until it says done, the client goes, or shutdown. */
export async function pollStream(
  sse: SSEStreamingApi,
  opts: PollOptions,
): Promise<void> {
  let open = true;
  const stop = () => {
    open = false;
  };
  sse.onAbort(stop);
  opts.signal?.addEventListener("abort", stop, { once: true });
  let lastPing = Date.now();
  try {
    while (open && !opts.signal?.aborted) {
      if (await opts.round() === "done") return;
      if (Date.now() - lastPing > PING_MS) {
        await sse.write(": ping\n\n");
        lastPing = Date.now();
      }
      await sse.sleep(opts.pollMs);
    }
  } finally {
    opts.signal?.removeEventListener("abort", stop);
  }
}

/** Options of `tailEvents`. */
export interface TailOptions {
  store: Pick<RunStore, "listEvents">;
  runId: string;
  /** Only events after this seq (a cursor or Last-Event-ID). */
  after?: string | undefined;
  signal?: AbortSignal | undefined;
  pollMs: number;
  /** Writes one event to the client. */
  send: (event: RunEvent) => Promise<void>;
}

/** Sends a run's events as they are appended; true when it ended at RUN_END. */
export async function tailEvents(
  sse: SSEStreamingApi,
  opts: TailOptions,
): Promise<boolean> {
  let cursor = opts.after;
  let ended = false;
  await pollStream(sse, {
    signal: opts.signal,
    pollMs: opts.pollMs,
    round: async () => {
      const events = await opts.store.listEvents(
        opts.runId,
        cursor ? { after: cursor } : {},
      );
      for (const event of events) {
        await opts.send(event);
        cursor = event.seq;
        if (event.kind === "RUN_END") {
          ended = true;
          return "done";
        }
      }
    },
  });
  return ended;
}
