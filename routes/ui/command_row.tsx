/** One command (acceptance or setup) with its exit, duration and capped output. */
import type { CommandResult } from "../../lib/factory/mod.ts";
import { formatDuration } from "./format.ts";
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
