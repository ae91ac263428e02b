/**
 * Live updates as Server-Sent Events. The run page follows its event log
 * (resuming from `Last-Event-ID`, closing after RUN_END); the runs page
 * follows the rows it shows and the status counts. Both read the store:
 * events after the last seq sent, and the shown runs' records (served from
 * the store's memory once finished, so an idle page costs almost nothing).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunRecord, RunStore } from "../../lib/store/mod.ts";
import type { EventKind } from "../../lib/factory/mod.ts";
import { EventLine } from "./event_log.tsx";
import { render } from "./render.ts";
import { pollStream, tailEvents } from "../sse_poll.ts";
import { RunRow, StatusFilter } from "./runs_page.tsx";
import type { RunsQuery } from "./runs_page.tsx";

const EVENT_POLL_MS = 100;
const LIST_POLL_MS = 500;
/** Events after which the run page re-reads its sections. */
const REFRESHING: ReadonlySet<string> = new Set<EventKind>([
  "RUN_START",
  "WORKSPACE_READY",
  // The iteration card lists a running turn's steps (coalesced by the page).
  "SE_STEP",
  "SE_OUTPUT",
  "CMD_RESULT",
  "TR_APPLY",
  "PO_RESULT",
  "PUSH",
  "RUN_CANCELLED",
  "AWAITING_APPROVAL",
  "RUN_APPROVED",
  "RUN_REJECTED",
  "RUN_PAUSED",
  "RUN_RESUMED",
  "ERROR",
  "RUN_END",
]);

/** Options of the streams. */
export interface LiveOptions {
  store: RunStore;
  /** Aborted at shutdown: streams end so the server can stop. */
  shutdownSignal?: AbortSignal | undefined;
}

/** SSE of a run's events as rendered log lines; `id:` is the seq. */
export function runEventStream(
  c: Context,
  opts: LiveOptions,
  runId: string,
  after: string | undefined,
): Response {
  return streamSSE(c, async (sse) => {
    const ended = await tailEvents(sse, {
      store: opts.store,
      runId,
      after,
      signal: opts.shutdownSignal,
      pollMs: EVENT_POLL_MS,
      send: async (event) =>
        await sse.writeSSE({
          id: event.seq,
          event: "run-event",
          data: JSON.stringify({
            seq: event.seq,
            kind: event.kind,
            refresh: REFRESHING.has(event.kind),
            html: await render(EventLine({ event })),
          }),
        }),
    });
    if (ended) await sse.writeSSE({ event: "end", data: "{}" });
  });
}

/** What a row shows; a change re-renders it. */
function rowKey(run: RunRecord): string {
  return [
    run.status,
    run.iteration,
    run.usage.total_tokens,
    run.started_at,
    run.finished_at,
    run.title,
  ].join("|");
}

/**
 * SSE for the runs page: `row` when one of `ids` (the live runs it shows;
 * finished rows never change) changes, `counts` when any count does.
 */
export function runListStream(
  c: Context,
  opts: LiveOptions,
  ids: string[],
  query: RunsQuery,
): Response {
  return streamSSE(c, async (sse) => {
    const seen = new Map<string, string>();
    let seenCounts = "";
    await pollStream(sse, {
      signal: opts.shutdownSignal,
      pollMs: LIST_POLL_MS,
      round: async () => {
        const now = Date.now();
        const views = await Promise.all(
          ids.map((id) => opts.store.viewRun(id)),
        );
        for (const view of views) {
          if (!view) continue;
          // The first round sends every row asked for: the page may have been
          // rendered a moment before the stream opened.
          const key = rowKey(view.run);
          if (seen.get(view.run.id) === key) continue;
          seen.set(view.run.id, key);
          await sse.writeSSE({
            event: "row",
            data: JSON.stringify({
              id: view.run.id,
              status: view.run.status,
              html: await render(RunRow({ run: view.run, now })),
            }),
          });
        }
        const counts = await opts.store.counts();
        const countsKey = JSON.stringify(counts);
        if (countsKey !== seenCounts) {
          seenCounts = countsKey;
          await sse.writeSSE({
            event: "counts",
            data: JSON.stringify({
              total: counts.total,
              html: await render(StatusFilter({ counts, query })),
            }),
          });
        }
      },
    });
  });
}
