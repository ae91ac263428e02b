/** One iteration's detail: SE summary, each acceptance command, the PO verdict. */
import type { ToolReport } from "../../lib/factory/mod.ts";
import { CommandRow } from "./command_row.tsx";
import { formatCost, formatTokens } from "./format.ts";
import type { IterationTimeline } from "./timeline.ts";
import type { AttemptData, SeConversation } from "./run_data.ts";
import { LiveSeSteps, SeStepsView } from "./se_steps_view.tsx";
import type { RunEvent } from "../../lib/store/mod.ts";
import { AttemptsView } from "./attempts_view.tsx";

/** The iteration card. */
export function IterationView(
  props: {
    runId: string;
    it: IterationTimeline;
    report: ToolReport | undefined;
    conversation: SeConversation | undefined;
    /** The run's events: a turn without a transcript yet shows its SE_STEPs. */
    events: RunEvent[];
    /** A best-of-N iteration's attempts (shown side by side); absent otherwise. */
    attempts?: AttemptData[] | undefined;
  },
) {
  const { it, report, conversation } = props;
  return (
    <section
      class="card iteration"
      id={`iteration-${it.iteration}`}
      aria-labelledby={`iteration-${it.iteration}-h`}
    >
      <h3 id={`iteration-${it.iteration}-h`}>
        {`Iteration ${it.iteration}`}
        {it.decision && (
          <span
            class={`badge ${
              it.decision === "PASS" ? "status-succeeded" : "status-failed"
            }`}
          >
            {it.decision}
          </span>
        )}
        {it.usage && (
          <span class="muted">
            {` ${formatTokens(it.usage.total_tokens)} tokens · ${
              formatCost(it.usage.cost_usd)
            }`}
          </span>
        )}
      </h3>
      {it.seSummary !== null && (
        <p>
          <strong>SE:</strong> {it.seSummary}
        </p>
      )}
      {props.attempts && props.attempts.length > 0 && (
        <AttemptsView
          runId={props.runId}
          iteration={it.iteration}
          attempts={props.attempts}
          events={props.events}
        />
      )}
      {props.attempts && props.attempts.length > 0
        ? null
        : conversation
        ? (
          <SeStepsView
            runId={props.runId}
            iteration={it.iteration}
            conversation={conversation}
          />
        )
        : <LiveSeSteps iteration={it.iteration} events={props.events} />}
      {report && report.rejected.length > 0 && (
        <ul class="rejected">
          {report.rejected.map((r) => (
            <li>
              <code>{r.path}</code> rejected: {r.reason}
            </li>
          ))}
        </ul>
      )}
      {report && (
        <>
          <h4>Acceptance commands</h4>
          {report.commands.length === 0
            ? <p class="muted">None given.</p>
            : (
              <ol class="commands">
                {report.commands.map((command, i) => (
                  <CommandRow
                    command={command}
                    detailsKey={`cmd-${it.iteration}-${i}`}
                  />
                ))}
              </ol>
            )}
        </>
      )}
      {it.decision && (
        <div class={`verdict verdict-${it.decision.toLowerCase()}`}>
          <strong>{`PO verdict: ${it.decision}`}</strong>
          {it.feedback && <p class="feedback">{it.feedback}</p>}
        </div>
      )}
    </section>
  );
}
