/** `/ui/runs/{id}`: one run, its timeline, iterations, diff, artifacts and live log. */
import { PauseForm } from "./pause_form.tsx";
import { readFrontmatter } from "../../lib/work_order/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import { EventLog } from "./event_log.tsx";
import { FollowUpLinks, RequestChangesForm } from "./follow_up_view.tsx";
import {
  formatBytes,
  formatCost,
  formatDuration,
  formatTimestamp,
  formatTokens,
  runDurationMs,
} from "./format.ts";
import { IterationView } from "./iteration_view.tsx";
import { Layout, StatusBadge } from "./layout.tsx";
import type { RunDiff, RunPageData } from "./run_data.ts";
import type { UiAuth } from "./session.ts";
import { buildTimeline } from "./timeline.ts";
import { TimelineView } from "./timeline_view.tsx";
import { SetupSection } from "./setup_view.tsx";

/** The record's pull request link (added by the forge feature), if it is an http(s) URL. */
function pullRequestUrl(run: object): string | null {
  const url = (run as { pull_request_url?: unknown }).pull_request_url;
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function taskOf(md: string): string {
  try {
    return readFrontmatter(md).body.trim();
  } catch {
    return md;
  }
}

function Fact(props: { label: string; children?: unknown }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd>{props.children as string}</dd>
    </div>
  );
}

function DiffView(props: { runId: string; diff: RunDiff | null }) {
  const { diff } = props;
  return (
    <section class="card" aria-labelledby="diff-h" id="diff">
      <h2 id="diff-h">Diff</h2>
      {diff === null
        ? <p class="empty">No diff yet.</p>
        : diff.text === null
        ? (
          <p>
            {`The diff is ${formatBytes(diff.bytes)}, too large to draw here: `}
            <a href={`/ui/runs/${props.runId}/artifacts/${diff.artifact}`}>
              download {diff.artifact}
            </a>
          </p>
        )
        : diff.text.trim() === ""
        ? <p class="empty">No changes.</p>
        : (
          <>
            <div class="diff-controls" role="group" aria-label="Diff layout">
              <button type="button" data-diff-format="line-by-line" hidden>
                Inline
              </button>
              <button type="button" data-diff-format="side-by-side" hidden>
                Side by side
              </button>
              <span class="muted">{`from ${diff.artifact}`}</span>
            </div>
            <pre
              id="diff-source"
              class="diff-source"
              data-digest={`${diff.artifact}:${diff.bytes}`}
            >{diff.text}</pre>
            <div id="diff-view"></div>
          </>
        )}
    </section>
  );
}

/** Approve (push) or reject a run that passed under `approval: before_push`. */
function ApprovalForms(props: { runId: string; csrf: string }) {
  return (
    <section class="approval" aria-label="Approval">
      <p>
        The Product Owner passed this run. Nothing is pushed until someone
        approves it; see the diff below.
      </p>
      <form
        method="post"
        action={`/ui/runs/${props.runId}/approve`}
        class="approve"
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        <button type="submit">Approve and push</button>
      </form>
      <form
        method="post"
        action={`/ui/runs/${props.runId}/reject`}
        class="reject"
        data-confirm="Reject this run? Nothing will be pushed."
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        <label>
          Comment (optional)
          <textarea name="comment" rows={2} maxlength={10000}></textarea>
        </label>
        <button type="submit" class="danger">Reject</button>
      </form>
    </section>
  );
}

/** The part of the page that live updates replace (everything but the log). */
export function RunBody(
  props: { data: RunPageData; auth: UiAuth; now: number },
) {
  const {
    run,
    events,
    artifacts,
    reports,
    diff,
    conversations,
    setup,
    unreadable,
    attempts,
  } = props.data;
  const live = !TERMINAL_STATUSES.has(run.status);
  const timeline = buildTimeline(events, props.now);
  const duration = runDurationMs(run, props.now);
  const pr = pullRequestUrl(run);
  return (
    <div id="run-body" data-status={run.status}>
      <div class="heading">
        <h1 class="run-title" tabindex={-1}>
          {run.title ?? `Run ${run.id.slice(0, 8)}`}
        </h1>
        <StatusBadge status={run.status} />
        {live && (
          <form
            method="post"
            action={`/ui/runs/${run.id}/cancel`}
            class="cancel"
            data-confirm="Cancel this run?"
          >
            <input type="hidden" name="_csrf" value={props.auth.csrf} />
            <button type="submit" class="danger">Cancel run</button>
          </form>
        )}
      </div>
      {run.status === "AWAITING_APPROVAL" && (
        <ApprovalForms runId={run.id} csrf={props.auth.csrf} />
      )}
      {run.status === "PAUSED" && run.pause && (
        <PauseForm runId={run.id} csrf={props.auth.csrf} pause={run.pause} />
      )}
      <dl class="facts">
        <Fact label="Run">
          <code>{run.id}</code>
        </Fact>
        <Fact label="Repository">
          <code>{run.repo}</code>
        </Fact>
        <Fact label="Branches">
          <code>{run.clone_branch}</code>
          {run.push_branch && (
            <>
              {" → "}
              <code>{run.push_branch}</code>
            </>
          )}
        </Fact>
        <Fact label="Iteration">
          {`${run.iteration}/${run.max_iterations}`}
        </Fact>
        <Fact label="Created">{formatTimestamp(run.created_at)}</Fact>
        <Fact label="Started">
          {run.started_at ? formatTimestamp(run.started_at) : "—"}
        </Fact>
        <Fact label="Finished">
          {run.finished_at ? formatTimestamp(run.finished_at) : "—"}
        </Fact>
        <Fact label="Duration">
          {duration === null ? "—" : formatDuration(duration)}
        </Fact>
        <Fact label="Tokens">
          {`${
            formatTokens(run.usage.total_tokens)
          } (${run.usage.prompt_tokens} prompt${
            run.usage.cached_tokens > 0
              ? `, ${run.usage.cached_tokens} of them cached`
              : ""
          }, ${run.usage.completion_tokens} completion${
            run.usage.reasoning_tokens > 0
              ? `, ${run.usage.reasoning_tokens} of them reasoning`
              : ""
          })`}
        </Fact>
        <Fact label="Cost">{formatCost(run.usage.cost_usd)}</Fact>
        {pr && (
          <Fact label="Pull request">
            <a href={pr} rel="noreferrer noopener">{pr}</a>
          </Fact>
        )}
      </dl>
      {run.result_summary && (
        <p
          class={`result result-${run.status.toLowerCase()}`}
          id="result-summary"
        >
          {run.result_summary}
        </p>
      )}
      {run.error && <p class="error-box" id="run-error">{run.error}</p>}
      <FollowUpLinks run={run} events={events} />
      <section class="card" aria-labelledby="task-h">
        <h2 id="task-h">Task</h2>
        <p class="task">{taskOf(run.work_order_md)}</p>
        <details data-key="work-order">
          <summary>Work order</summary>
          <pre>{run.work_order_md}</pre>
        </details>
      </section>
      <TimelineView timeline={timeline} />
      <SetupSection setup={setup} />
      {timeline.iterations.map((it) => (
        <IterationView
          runId={run.id}
          it={it}
          report={reports.get(it.iteration)}
          conversation={conversations.get(it.iteration)}
          events={events}
          attempts={attempts.get(it.iteration)}
        />
      ))}
      <DiffView runId={run.id} diff={diff} />
      <RequestChangesForm run={run} auth={props.auth} />
      <section class="card" aria-labelledby="artifacts-h">
        <h2 id="artifacts-h">Artifacts</h2>
        {unreadable.map((problem) => (
          <p class="error-box unreadable-artifact">{problem}</p>
        ))}
        {artifacts.length === 0
          ? <p class="empty">None yet.</p>
          : (
            <table class="artifacts">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Size</th>
                  <th scope="col">Type</th>
                </tr>
              </thead>
              <tbody>
                {artifacts.map((a) => (
                  <tr>
                    <td>
                      <a
                        href={`/ui/runs/${run.id}/artifacts/${a.name}`}
                        download={a.name}
                      >
                        {a.name}
                      </a>
                    </td>
                    <td class="num">{formatBytes(a.bytes)}</td>
                    <td class="mono">{a.content_type}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
    </div>
  );
}

/** The whole run page. */
export function RunPage(
  props: { data: RunPageData; auth: UiAuth; now: number },
) {
  const { run, events } = props.data;
  return (
    <Layout
      title={run.title ?? `Run ${run.id.slice(0, 8)}`}
      auth={props.auth}
      styles={["diff2html.min.css", "highlight-github.min.css"]}
      scripts={["diff2html-ui-slim.min.js", "run.js"]}
    >
      <p class="crumbs">
        <a href="/ui">← Runs</a>
      </p>
      <RunBody {...props} />
      <EventLog
        runId={run.id}
        events={events}
        live={!TERMINAL_STATUSES.has(run.status)}
      />
    </Layout>
  );
}
