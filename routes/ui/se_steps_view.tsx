/** An iteration's SE conversation on the run page: each reply's tool calls as steps. */
import { formatBytes, formatTokens } from "./format.ts";
import type { SeConversation } from "./run_data.ts";
import type { RunEvent } from "../../lib/store/mod.ts";

/** The "SE steps" block of an iteration card (closed by default). */
export function SeStepsView(
  props: { runId: string; iteration: number; conversation: SeConversation },
) {
  const { conversation, iteration } = props;
  const href = `/ui/runs/${props.runId}/artifacts/${conversation.artifact}`;
  if (conversation.replies === null) {
    return (
      <p class="muted">
        {`The SE's conversation is ${
          formatBytes(conversation.bytes)
        }, too large to list here: `}
        <a href={href}>download {conversation.artifact}</a>
      </p>
    );
  }
  const { replies } = conversation;
  const calls = replies.reduce((sum, r) => sum + r.steps.length, 0);
  const tokens = replies.reduce((sum, r) => sum + (r.tokens ?? 0), 0);
  return (
    <details
      class="se-steps"
      id={`se-steps-${iteration}`}
      data-key={`se-steps-${iteration}`}
    >
      <summary>
        {`SE steps · ${calls} tool call${
          calls === 1 ? "" : "s"
        } in ${replies.length} repl${replies.length === 1 ? "y" : "ies"} · ${
          formatTokens(tokens)
        } tokens`}
      </summary>
      <ol class="steps">
        {replies.map((reply) => (
          <li class="reply">
            <div class="reply-head">
              <span class="muted">{`Reply ${reply.reply}`}</span>
              {reply.tokens !== null && (
                <span class="muted">
                  {` · ${formatTokens(reply.tokens)} tokens`}
                </span>
              )}
            </div>
            {reply.text !== null && <p class="reply-text">{reply.text}</p>}
            {reply.steps.length === 0
              ? <p class="muted">No tool call.</p>
              : (
                <ul class="calls">
                  {reply.steps.map((step) => (
                    <li class={`step ${step.failed ? "failed" : "passed"}`}>
                      <code class="tool">{step.tool}</code>{" "}
                      <code class="args">{step.arguments}</code>
                      {step.result !== null && (
                        <details class="step-result">
                          <summary>
                            {step.failed ? "Result (error)" : "Result"}
                          </summary>
                          <pre>{step.result}</pre>
                        </details>
                      )}
                    </li>
                  ))}
                </ul>
              )}
          </li>
        ))}
      </ol>
      <p class="muted">
        {"From "}
        <a href={href}>{conversation.artifact}</a>
      </p>
    </details>
  );
}

/** The SE_STEP events of a turn still running (its transcript is written at its end). */
export function LiveSeSteps(
  props: {
    iteration: number;
    events: RunEvent[];
    /** A best-of-N attempt's steps only (its card shows them, folded). */
    attempt?: number;
  },
) {
  const { attempt } = props;
  const steps = props.events.filter((e) =>
    e.kind === "SE_STEP" && e.iteration === props.iteration &&
    (e.payload as { attempt?: unknown }).attempt === attempt
  );
  if (steps.length === 0) return null;
  const text = (value: unknown) => typeof value === "string" ? value : "";
  const suffix = attempt === undefined ? "" : `-a${attempt}`;
  return (
    <details
      class="se-steps"
      id={`se-steps-${props.iteration}${suffix}`}
      data-key={`se-steps-live-${props.iteration}${suffix}`}
      open={attempt === undefined}
    >
      <summary>
        {`SE steps${
          attempt === undefined ? " so far" : ""
        } · ${steps.length} tool call${steps.length === 1 ? "" : "s"}`}
      </summary>
      <ul class="calls">
        {steps.map((event) => {
          const { payload } = event;
          const failed = payload.ok === false;
          const what = text(payload.command) || text(payload.path);
          return (
            <li class={`step ${failed ? "failed" : "passed"}`}>
              <code class="tool">{text(payload.tool)}</code>
              {what && (
                <>
                  {" "}
                  <code class="args">{what}</code>
                </>
              )}
              {failed && (
                <span class="muted">{` (${text(payload.reason)})`}</span>
              )}
            </li>
          );
        })}
      </ul>
    </details>
  );
}
