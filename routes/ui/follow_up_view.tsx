/** A run page's follow-up parts: links to its parent and follow-ups, and the "Request changes" form. */
import type { RunEvent, RunRecord } from "../../lib/store/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import type { UiAuth } from "./session.ts";

/** Ids of the follow-ups started from this run (its FOLLOW_UP events). */
function followUpIds(events: RunEvent[]): string[] {
  return events.filter((e) => e.kind === "FOLLOW_UP")
    .map((e) => e.payload.run_id)
    .filter((id): id is string => typeof id === "string");
}

/** "Follow-up of …" and "Follow-ups: …" links, when there are any. */
export function FollowUpLinks(props: { run: RunRecord; events: RunEvent[] }) {
  const parent = props.run.parent_run_id ?? null;
  const children = followUpIds(props.events);
  if (parent === null && children.length === 0) return null;
  return (
    <p class="follow-ups" id="follow-ups">
      {parent !== null && (
        <>
          {"Follow-up of "}
          <a href={`/ui/runs/${encodeURIComponent(parent)}`} rel="up">
            <code>{parent}</code>
          </a>
          {children.length > 0 ? ". " : ""}
        </>
      )}
      {children.length > 0 && (
        <>
          {"Follow-ups: "}
          {children.map((id, i) => (
            <>
              {i > 0 ? ", " : ""}
              <a href={`/ui/runs/${encodeURIComponent(id)}`}>
                <code>{id}</code>
              </a>
            </>
          ))}
        </>
      )}
    </p>
  );
}

/** The "Request changes" form of a finished run (POST /ui/runs/{id}/revise). */
export function RequestChangesForm(props: { run: RunRecord; auth: UiAuth }) {
  const { run } = props;
  if (!TERMINAL_STATUSES.has(run.status)) return null;
  return (
    <section class="card" aria-labelledby="revise-h" id="request-changes">
      <h2 id="revise-h">Request changes</h2>
      <form method="post" action={`/ui/runs/${run.id}/revise`} class="revise">
        <input type="hidden" name="_csrf" value={props.auth.csrf} />
        <label for="revise-feedback">
          {run.push_branch
            ? `What should change? A follow-up run starts from this run's result and pushes to ${run.push_branch}.`
            : "What should change? A follow-up run starts from this run's result."}
        </label>
        <textarea
          id="revise-feedback"
          name="feedback"
          rows={5}
          required
          maxlength={20000}
        >
        </textarea>
        <label for="revise-iterations">Max iterations</label>
        <input
          type="number"
          id="revise-iterations"
          name="max_iterations"
          min={1}
          max={20}
          value={String(run.max_iterations)}
        />
        <button type="submit">Start follow-up</button>
      </form>
    </section>
  );
}
