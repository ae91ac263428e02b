/** `/ui`: runs newest first, filtered by status, a page at a time, updated live. */
import type { RunCounts } from "../../lib/store/mod.ts";
import {
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
} from "../../lib/store/mod.ts";
import {
  formatAge,
  formatCost,
  formatDuration,
  formatTokens,
  runDurationMs,
} from "./format.ts";
import { Layout, StatusBadge } from "./layout.tsx";
import type { UiAuth } from "./session.ts";

/** Runs per page unless `limit` says otherwise. */
export const PAGE_SIZE = 50;

/** The query of the runs page, validated. */
export interface RunsQuery {
  status: RunStatus | null;
  offset: number;
  limit: number;
}

/** Parses `status`, `offset` and `limit`; a list of problems when any is bad. */
export function parseRunsQuery(
  q: Record<string, string | undefined>,
): RunsQuery | string[] {
  const problems: string[] = [];
  let status: RunStatus | null = null;
  if (q.status) {
    if ((RUN_STATUSES as readonly string[]).includes(q.status)) {
      status = q.status as RunStatus;
    } else {
      problems.push(
        `status must be one of ${RUN_STATUSES.join(", ")}, got '${q.status}'`,
      );
    }
  }
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = q[name];
    if (raw === undefined || raw === "") return fallback;
    const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min && n <= max)) {
      problems.push(
        `${name} must be an integer from ${min} to ${max}, got '${raw}'`,
      );
      return fallback;
    }
    return n;
  };
  const offset = int("offset", 0, 0, 100_000_000);
  const limit = int("limit", PAGE_SIZE, 1, 200);
  return problems.length > 0 ? problems : { status, offset, limit };
}

function pageHref(q: RunsQuery, change: Partial<RunsQuery>): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.status) params.set("status", next.status);
  if (next.offset > 0) params.set("offset", String(next.offset));
  if (next.limit !== PAGE_SIZE) params.set("limit", String(next.limit));
  const text = params.toString();
  return text ? `/ui?${text}` : "/ui";
}

/** The status filter with each status's count. */
export function StatusFilter(
  props: { counts: RunCounts; query: RunsQuery },
) {
  const { counts, query } = props;
  const link = (status: RunStatus | null, label: string, n: number) => (
    <a
      href={pageHref(query, { status, offset: 0 })}
      aria-current={query.status === status ? "page" : undefined}
      class={status ? `filter status-${status.toLowerCase()}` : "filter"}
    >
      {label} <span class="count">{n}</span>
    </a>
  );
  return (
    <nav class="filters" id="status-filter" aria-label="Filter by status">
      {link(null, "All", counts.total)}
      {RUN_STATUSES.map((s) => link(s, s, counts[s]))}
    </nav>
  );
}

/** One run's row; the live stream re-renders it in place. */
export function RunRow(props: { run: RunRecord; now: number }) {
  const { run, now } = props;
  const duration = runDurationMs(run, now);
  const branch = run.push_branch
    ? `${run.clone_branch} → ${run.push_branch}`
    : run.clone_branch;
  return (
    <tr id={`run-${run.id}`} data-run-id={run.id} data-status={run.status}>
      <td data-label="Run" class="title">
        <a href={`/ui/runs/${run.id}`}>{run.title ?? run.id.slice(0, 8)}</a>
      </td>
      <td data-label="Status">
        <StatusBadge status={run.status} />
      </td>
      <td data-label="Repository" class="repo">
        <span class="mono">{run.repo}</span> @{" "}
        <span class="mono">{branch}</span>
      </td>
      <td data-label="Iteration" class="num">
        {`${run.iteration}/${run.max_iterations}`}
      </td>
      <td data-label="Age">
        <time datetime={run.created_at} title={run.created_at} data-age="">
          {formatAge(run.created_at, now)}
        </time>
      </td>
      <td data-label="Duration" class="num">
        {duration === null ? "—" : formatDuration(duration)}
      </td>
      <td data-label="Tokens" class="num">
        {formatTokens(run.usage.total_tokens)}
      </td>
      <td data-label="Cost" class="num">{formatCost(run.usage.cost_usd)}</td>
    </tr>
  );
}

/** The whole runs page. */
export function RunsPage(props: {
  auth: UiAuth;
  runs: RunRecord[];
  total: number;
  counts: RunCounts;
  query: RunsQuery;
  now: number;
}) {
  const { runs, total, query, now } = props;
  const first = total === 0 ? 0 : query.offset + 1;
  const last = query.offset + runs.length;
  return (
    <Layout title="Runs" auth={props.auth} current="runs" scripts={["runs.js"]}>
      <div class="heading">
        <h1>Runs</h1>
        <a class="button" href="/ui/submit">Submit a work order</a>
      </div>
      <StatusFilter counts={props.counts} query={query} />
      <p id="new-runs" class="notice" hidden>
        New runs arrived. <a href={pageHref(query, { offset: 0 })}>Show them</a>
      </p>
      <div
        id="runs-live"
        data-live="/ui/live/runs"
        data-total={String(props.counts.total)}
      >
        {runs.length === 0
          ? (
            <p class="empty">
              {query.status
                ? `No ${query.status} runs.`
                : "No runs yet. Submit a work order to start one."}
            </p>
          )
          : (
            <table class="runs" id="runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Repository @ branch</th>
                  <th scope="col">Iteration</th>
                  <th scope="col">Age</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Cost</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => <RunRow key={run.id} run={run} now={now} />)}
              </tbody>
            </table>
          )}
      </div>
      <nav class="pager" aria-label="Pages">
        <span>{`${first}–${last} of ${total}`}</span>
        {query.offset > 0 && (
          <a
            href={pageHref(query, {
              offset: Math.max(0, query.offset - query.limit),
            })}
            rel="prev"
          >
            ← Newer
          </a>
        )}
        {last < total && (
          <a href={pageHref(query, { offset: last })} rel="next">Older →</a>
        )}
      </nav>
    </Layout>
  );
}
