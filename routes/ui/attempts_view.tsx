/** A best-of-N iteration's attempts side by side: model, summary, usage, acceptance commands, dropped or picked. */
import { payloadOf } from "../../lib/factory/mod.ts";
import type { RunEvent } from "../../lib/store/mod.ts";
import { formatCost, formatTokens } from "./format.ts";
import { CommandRow } from "./command_row.tsx";
import type { AttemptData } from "./run_data.ts";
import { LiveSeSteps } from "./se_steps_view.tsx";

/** What the run's log says of one attempt. */
interface AttemptFacts {
  summary: string | null;
  tokens: number | null;
  costUsd: number | null;
  dropped: string | null;
}

function factsOf(
  events: RunEvent[],
  iteration: number,
  attempt: number,
): AttemptFacts {
  const facts: AttemptFacts = {
    summary: null,
    tokens: null,
    costUsd: null,
    dropped: null,
  };
  for (const event of events) {
    if ((event.iteration ?? 1) !== iteration) continue;
    const output = payloadOf(event, "SE_OUTPUT");
    if (output?.attempt === attempt) {
      facts.summary = output.summary;
      facts.tokens = output.usage?.total_tokens ?? null;
      facts.costUsd = output.usage?.cost_usd ?? null;
    }
    const dropped = payloadOf(event, "ATTEMPTS_DROPPED");
    if (dropped?.attempts.includes(attempt)) facts.dropped = dropped.reason;
  }
  return facts;
}

/** The attempt the run went on with in `iteration`, and how (from ATTEMPT_PICKED). */
function pickedIn(
  events: RunEvent[],
  iteration: number,
): { attempt: number; decision: "PASS" | "FAIL" } | null {
  for (const event of events) {
    if ((event.iteration ?? 1) !== iteration) continue;
    const picked = payloadOf(event, "ATTEMPT_PICKED");
    if (picked) return { attempt: picked.attempt, decision: picked.decision };
  }
  return null;
}

/** The attempts of `iteration`, one column each. */
export function AttemptsView(
  props: {
    runId: string;
    iteration: number;
    attempts: AttemptData[];
    events: RunEvent[];
  },
) {
  const picked = pickedIn(props.events, props.iteration);
  return (
    <section
      class="attempts"
      aria-label={`Attempts of iteration ${props.iteration}`}
    >
      <h4>{`Attempts (${props.attempts.length})`}</h4>
      <div class="attempts-grid">
        {props.attempts.map((a) => {
          const facts = factsOf(props.events, props.iteration, a.attempt);
          const kept = picked?.attempt === a.attempt;
          const state = kept ? "picked" : facts.dropped ? "dropped" : "judged";
          return (
            <article
              class={`attempt attempt-${state}`}
              id={`iteration-${props.iteration}-attempt-${a.attempt}`}
            >
              <h5>
                {`Attempt ${a.attempt} `}
                <span
                  class={`badge ${
                    state === "dropped"
                      ? "status-failed"
                      : state === "picked" && picked?.decision === "PASS"
                      ? "status-succeeded"
                      : "status-running"
                  }`}
                >
                  {state === "picked"
                    ? picked?.decision === "PASS" ? "picked" : "kept (best)"
                    : state}
                </span>
              </h5>
              <p class="muted">
                {a.model ?? "the run's SE model"}
                {facts.tokens !== null &&
                  ` · ${formatTokens(facts.tokens)} tokens · ${
                    formatCost(facts.costUsd ?? 0)
                  }`}
              </p>
              {facts.summary !== null && <p>{facts.summary}</p>}
              {facts.dropped && (
                <p class="muted">{`Dropped: ${facts.dropped}`}</p>
              )}
              <LiveSeSteps
                iteration={props.iteration}
                attempt={a.attempt}
                events={props.events}
              />
              {a.report && a.report.commands.length > 0 && (
                <ol class="commands">
                  {a.report.commands.map((command, i) => (
                    <CommandRow
                      command={command}
                      detailsKey={`cmd-${props.iteration}-a${a.attempt}-${i}`}
                    />
                  ))}
                </ol>
              )}
              {a.artifacts.length > 0 && (
                <p class="attempt-artifacts">
                  {a.artifacts.map((name) => (
                    <a href={`/ui/runs/${props.runId}/artifacts/${name}`}>
                      {name}
                    </a>
                  ))}
                </p>
              )}
            </article>
          );
        })}
      </div>
    </section>
  );
}
