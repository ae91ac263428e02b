/** Reading and appending a run's ordered event log. */
import type { EventLevel, RunEvent } from "./types.ts";

/** An event as a writer gives it; the store fills seq and ts. */
export interface NewEvent {
  level?: EventLevel;
  kind: string;
  iteration?: number | null;
  payload?: Record<string, unknown>;
}

/** What readers find at an event key (the runtime writes `{ seq, ts, ...event }`). */
interface StoredEvent {
  seq?: string;
  ts?: string;
  level?: EventLevel;
  kind?: string;
  iteration?: number | null;
  payload?: Record<string, unknown>;
}

/** Fills the defaults readers promise: level INFO, iteration null, payload {}. */
export function toRunEvent(seq: string, value: unknown): RunEvent {
  const stored =
    (value !== null && typeof value === "object" ? value : {}) as StoredEvent;
  return {
    seq,
    ts: typeof stored.ts === "string" ? stored.ts : "",
    level: stored.level ?? "INFO",
    kind: typeof stored.kind === "string" ? stored.kind : "UNKNOWN",
    iteration: typeof stored.iteration === "number" ? stored.iteration : null,
    payload: stored.payload !== null && typeof stored.payload === "object"
      ? stored.payload
      : {},
  };
}

/** Options of listEvents. */
export interface ListEventsQuery {
  /** Only events with a seq greater than this one. */
  after?: string;
  /** At most this many events. */
  limit?: number;
}

/** Lists events of the log under `prefix`, ordered by seq. */
export async function listEventsAt(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  q: ListEventsQuery = {},
): Promise<RunEvent[]> {
  const limit = q.limit;
  if (limit !== undefined && limit <= 0) return [];
  const selector: Deno.KvListSelector = q.after === undefined
    ? { prefix }
    : { prefix, start: [...prefix, q.after] };
  const events: RunEvent[] = [];
  const extra = q.after === undefined ? 0 : 1;
  const options: Deno.KvListOptions = limit === undefined
    ? {}
    : { limit: limit + extra };
  for await (const entry of kv.list(selector, options)) {
    const seq = entry.key[entry.key.length - 1];
    if (typeof seq !== "string" || seq === q.after) continue;
    events.push(toRunEvent(seq, entry.value));
    if (limit !== undefined && events.length >= limit) break;
  }
  return events;
}
