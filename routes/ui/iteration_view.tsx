/** One iteration's detail: SE summary, each acceptance command, the PO verdict. */
import type { CommandResult, ToolReport } from "../../lib/factory/shapes.ts";
import { formatCost, formatDuration, formatTokens } from "./format.ts";
import type { IterationTimeline } from "./timeline.ts";
import type { SeConversation } from "./run_data.ts";
import { LiveSeSteps, SeStepsView } from "./se_steps_view.tsx";
import type { RunEvent } from "../../lib/store/types.ts";
import { terminalHtml } from "./terminal_text.ts";

/** Outputs longer than this many lines show head and tail first. */
const PREVIEW_LINES = 40;
const HEAD_TAIL = 15;

function CommandOutput(
  props: { command: CommandResult; failed: boolean; detailsKey: string },
) {
  const output = props.command.output ?? "";
  const lines = output.replace(/\n$/, "").split("\n");
  const count = output === "" ? 0 : lines.length;
  if (count === 0) return <p class="muted">No output.</p>;
  const long = count > PREVIEW_LINES;
  const preview = long
    ? [
      ...lines.slice(0, HEAD_TAIL),
      `… ${count - 2 * HEAD_TAIL} more lines …`,
      ...lines.slice(-HEAD_TAIL),
    ].join("\n")
    : lines.join("\n");
  return (
    <details class="output" open={props.failed} data-key={props.detailsKey}>
      <summary>
        {`Output · ${count} line${count === 1 ? "" : "s"}${
          props.command.truncated ? " (capped: head and tail kept)" : ""
        }`}
      </summary>
      <pre class="terminal">{terminalHtml(preview)}</pre>
      {long && (
        <details class="output-all" data-key={`${props.detailsKey}-all`}>
          <summary>{`Show all ${count} lines`}</summary>
          <pre class="terminal">{terminalHtml(output)}</pre>
        </details>
      )}
    </details>
  );
}

/** One command with its exit, duration and output (acceptance or setup). */
export function CommandRow(
  props: { command: CommandResult; detailsKey: string },
) {
  const { command } = props;
  const failed = command.exit_code !== 0;
  const exit = command.timed_out
    ? "timed out"
    : command.exit_code === null
    ? "killed"
    : `exit ${command.exit_code}`;
  return (
    <li class={`command ${failed ? "failed" : "passed"}`}>
      <div class="command-head">
        <span class={`badge ${failed ? "status-failed" : "status-succeeded"}`}>
          {exit}
        </span>
        <code class="command-text">{command.command}</code>
        <span class="muted">{formatDuration(command.duration_ms)}</span>
      </div>
      <CommandOutput
        command={command}
        failed={failed}
        detailsKey={props.detailsKey}
      />
    </li>
  );
}

/** The iteration card. */
export function IterationView(
  props: {
    runId: string;
    it: IterationTimeline;
    report: ToolReport | undefined;
    conversation: SeConversation | undefined;
    /** The run's events: a turn without a transcript yet shows its SE_STEPs. */
    events: RunEvent[];
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
      {conversation
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
