/** The run's event log, one line per event, as the CLI prints them. */
import type { RunEvent } from "../../lib/store/mod.ts";
import { formatTimestamp } from "./format.ts";

const MAX_VALUE_CHARS = 240;

/** `key=value` pairs of a payload; strings with spaces quoted, long values cut. */
export function payloadText(payload: Record<string, unknown>): string {
  return Object.entries(payload)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => {
      let text = typeof value === "string" ? value : JSON.stringify(value);
      if (text.length > MAX_VALUE_CHARS) {
        text = `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
      }
      if (typeof value === "string" && (text === "" || /[\s"'=]/.test(text))) {
        text = JSON.stringify(text);
      }
      return `${key}=${text}`;
    })
    .join(" ");
}

/** One event line. */
export function EventLine(props: { event: RunEvent }) {
  const { event } = props;
  const level = event.level ?? "INFO";
  return (
    <li class={`ev level-${level.toLowerCase()}`} data-seq={event.seq}>
      <time datetime={event.ts}>{formatTimestamp(event.ts)}</time>{" "}
      <span class="level">{level}</span> <span class="kind">{event.kind}</span>
      {" "}
      <span class="iter">{`iter=${event.iteration ?? "-"}`}</span>{" "}
      <span class="payload">{payloadText(event.payload ?? {})}</span>
    </li>
  );
}

/** Lines the page starts with; older ones are in the JSON list. */
export const MAX_SHOWN_EVENTS = 500;

/** The log section; `live` runs follow the stream from the last seq shown. */
export function EventLog(
  props: { runId: string; events: RunEvent[]; live: boolean },
) {
  const last = props.events.at(-1)?.seq ?? "";
  const hidden = Math.max(0, props.events.length - MAX_SHOWN_EVENTS);
  const shown = hidden > 0 ? props.events.slice(hidden) : props.events;
  return (
    <section class="card" aria-labelledby="events-h">
      <h2 id="events-h">
        Events <span class="live-dot" id="live-state" hidden>live</span>
      </h2>
      {hidden > 0 && (
        <p class="muted" id="events-hidden">
          {`${hidden} earlier events are not shown here; `}
          <a href={`/ui/runs/${props.runId}/events`}>all events as JSON</a>
        </p>
      )}
      <ol
        class="event-log"
        id="event-log"
        aria-live="polite"
        data-stream={props.live
          ? `/ui/runs/${props.runId}/events?after=${encodeURIComponent(last)}`
          : undefined}
        data-run-id={props.runId}
      >
        {shown.map((event) => (
          <EventLine
            key={event.seq}
            event={event}
          />
        ))}
      </ol>
      <p class="muted">
        <a href={`/ui/runs/${props.runId}/events`}>All events as JSON</a>
      </p>
    </section>
  );
}
