/** Text formats of the CLI, as the original service printed them. */
import type { ArtifactMeta, RunEvent, RunRecord } from "../lib/store/types.ts";

/** Longest value shown in a log line before it is cut with `…`. */
export const MAX_VALUE_CHARS = 80;

/** `2026-01-31T12:00:01.123Z` → `2026-01-31 12:00:01` (UTC); unparsable input as-is. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 19).replace("T", " ");
}

/** The `aos resume` flag that raises each budget. */
const RESUME_FLAG = {
  max_total_tokens: "--tokens N",
  max_cost_usd: "--cost USD",
  max_wall_time_s: "--wall S",
} as const;

/** A label padded so values line up (`Run:       x`). */
function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(11)}${value}`;
}

/** What the `Result:` line shows for a run. */
export function resultOf(run: RunRecord): string {
  const primary = run.status === "FAILED" ? run.error : run.result_summary;
  const fallback = run.status === "FAILED" ? run.result_summary : run.error;
  return oneLine(primary ?? fallback ?? "-");
}

/** Collapses whitespace so a value stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * The `Run:`/`Status:`/`Repo:`/`Iteration:`/`Result:` block (plus `PR:`,
 * `Title:` when set, and `Link:` — the run's dashboard page — when given).
 */
export function formatStatusBlock(run: RunRecord, link?: string): string {
  const lines = [
    field("Run", run.id),
    field("Status", run.status),
    field("Repo", `${run.repo} @ ${run.clone_branch}`),
    field("Iteration", String(run.iteration)),
    field("Result", resultOf(run)),
  ];
  if (run.pull_request_url) {
    lines.push(field("PR", run.pull_request_url));
  }
  if (run.title) lines.push(field("Title", oneLine(run.title)));
  if (link) lines.push(field("Link", link));
  if (run.status === "PAUSED" && run.pause) {
    lines.push(field("Paused", oneLine(run.pause.message)));
    lines.push(
      field("Resume", `aos resume ${run.id} ${RESUME_FLAG[run.pause.reason]}`),
    );
  }
  if (run.status === "AWAITING_APPROVAL") {
    lines.push(
      field(
        "Decide",
        `aos approve ${run.id}  |  aos reject ${run.id} [--comment "…"]`,
      ),
    );
  }
  return lines.join("\n");
}

/** The lines printed right after a submit without `--wait` (`Link:` when given). */
export function formatSubmitted(run: RunRecord, link?: string): string {
  return [
    field("Run", run.id),
    field("Status", run.status),
    ...(link ? [field("Link", link)] : []),
  ].join("\n");
}

/** One `key=value` value: quoted when it holds spaces or quotes, cut when long. */
export function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") {
    text = value;
  } else if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  if (text.length > MAX_VALUE_CHARS) {
    text = `${text.slice(0, MAX_VALUE_CHARS - 1)}…`;
  }
  if (typeof value === "string" && (text === "" || /[\s"'=\\]/.test(text))) {
    return JSON.stringify(text);
  }
  return text;
}

/** `[2026-01-31 12:00:01] [INFO ] RUN_CREATED          iter=- repo=… …` */
export function formatEventLine(event: RunEvent): string {
  const level = (event.level ?? "INFO").padEnd(5);
  const iter = event.iteration === null || event.iteration === undefined
    ? "-"
    : String(event.iteration);
  const pairs = Object.entries(event.payload ?? {})
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [
    `[${formatTimestamp(event.ts)}] [${level}] ${
      event.kind.padEnd(20)
    } iter=${iter}`,
    ...pairs,
  ].join(" ");
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const render = (cells: string[]) =>
    cells.map((cell, i) =>
      i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)
    )
      .join("  ").trimEnd();
  return [render(headers), ...rows.map(render)].join("\n");
}

/** Cuts `text` to `max` characters with `…`. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The `list` table: id, status, iteration, created time, title (or repo). */
export function formatRunTable(runs: RunRecord[]): string {
  return formatTable(
    ["ID", "STATUS", "ITER", "CREATED", "TITLE"],
    runs.map((run) => [
      run.id,
      run.status,
      `${run.iteration}/${run.max_iterations}`,
      formatTimestamp(run.created_at),
      cut(oneLine(run.title ?? run.repo), 60),
    ]),
  );
}

/** The `artifacts ID` table: name, content type, size in bytes, created time. */
export function formatArtifactTable(artifacts: ArtifactMeta[]): string {
  return formatTable(
    ["NAME", "TYPE", "BYTES", "CREATED"],
    artifacts.map((
      a,
    ) => [
      a.name,
      a.content_type,
      String(a.bytes),
      formatTimestamp(a.created_at),
    ]),
  );
}
