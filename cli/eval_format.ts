/** How `aos eval` shows results: the per-attempt table, the totals, markdown, and two results side by side. */
import {
  type AttemptResult,
  type EvalResult,
  type EvalTotals,
  taskSummaries,
} from "../lib/eval/mod.ts";
import { formatTable } from "./format.ts";

const HIDDEN_LABEL: Record<AttemptResult["hidden_check"], string> = {
  passed: "pass",
  failed: "FAIL",
  not_run: "-",
  error: "error",
};

const ATTEMPT_HEADERS = [
  "TASK",
  "#",
  "STATUS",
  "HIDDEN",
  "ITER",
  "CALLS",
  "PROMPT",
  "COMPL",
  "WALL",
  "COST",
];

/** `12`, or `-` for null. */
function int(value: number | null): string {
  return value === null ? "-" : String(Math.round(value));
}

/** Seconds with one decimal: `12.3 s`. */
function seconds(value: number | null): string {
  return value === null ? "-" : `${value.toFixed(1)} s`;
}

/** Dollars: `$0.0123`, or `-` when not priced. */
function dollars(value: number | null): string {
  return value === null ? "-" : `$${value.toFixed(4)}`;
}

/** A rate as a percentage with one decimal. */
function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** The cells of one attempt's row. */
function attemptCells(a: AttemptResult): string[] {
  return [
    a.task,
    String(a.attempt),
    a.status,
    a.claimed_pass && a.hidden_check === "failed"
      ? "FAIL (false PASS)"
      : HIDDEN_LABEL[a.hidden_check],
    int(a.iterations),
    int(a.model_calls),
    int(a.prompt_tokens),
    int(a.completion_tokens),
    seconds(a.wall_s),
    dollars(a.cost_usd),
  ];
}

/** One row per attempt: status, hidden check, iterations, model calls, tokens, wall time, cost. */
export function formatAttemptTable(result: EvalResult): string {
  return formatTable(ATTEMPT_HEADERS, result.attempts.map(attemptCells));
}

/** The totals as `label: value` rows. */
function totalsRows(t: EvalTotals): [string, string][] {
  const [low, high] = t.solve_rate_ci95;
  return [
    [
      "Solved",
      `${t.solved}/${t.attempts} (${percent(t.solve_rate)}, 95 % CI ${
        percent(low)
      } – ${percent(high)})`,
    ],
    ["False PASS", String(t.false_pass)],
    [
      "Prompt tokens",
      `${t.prompt_tokens} (${int(t.prompt_tokens_per_task)} per task, ${
        int(t.prompt_tokens_per_solved)
      } per solved task)`,
    ],
    ["Completion tokens", String(t.completion_tokens)],
    ["Tokens per solved task", int(t.tokens_per_solved)],
    ["Seconds per solved task", seconds(t.seconds_per_solved)],
    ["Wall time", seconds(t.wall_s)],
    ["Cost", dollars(t.cost_usd)],
  ];
}

/** The totals block printed under the table. */
export function formatTotals(totals: EvalTotals): string {
  const rows = totalsRows(totals);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`)
    .join("\n");
}

/** The full text report: table, blank line, totals. */
export function formatReport(result: EvalResult): string {
  return `${formatAttemptTable(result)}\n\n${formatTotals(result.totals)}`;
}

/** A markdown table. */
function markdownTable(headers: string[], rows: string[][]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    `| ${headers.map(escape).join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ].join("\n");
}

/** The result as a markdown document (for `--markdown FILE`). */
export function formatMarkdown(result: EvalResult): string {
  const models = Object.entries(result.models)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key} \`${value}\``).join(", ") ||
    "the service's defaults";
  return [
    `# Eval of \`${result.suite}\` with ${result.runner}`,
    "",
    `- Models: ${models}`,
    `- Tasks: ${result.tasks.length}, repeat ${result.options.repeat}, concurrency ${result.options.concurrency}${
      result.options.quick ? ", quick subset" : ""
    }`,
    `- Machine: ${result.machine}`,
    `- From ${result.started_at} to ${result.finished_at}`,
    "",
    markdownTable(ATTEMPT_HEADERS, result.attempts.map(attemptCells)),
    "",
    markdownTable(["Total", "Value"], totalsRows(result.totals)),
    "",
  ].join("\n");
}

/** Two results side by side: per task (solved, prompt tokens, wall time) and the totals. */
export function formatComparison(
  a: { label: string; result: EvalResult },
  b: { label: string; result: EvalResult },
): string {
  const left = new Map(
    taskSummaries(a.result.attempts).map((s) => [s.task, s]),
  );
  const right = new Map(
    taskSummaries(b.result.attempts).map((s) => [s.task, s]),
  );
  const tasks = [...new Set([...left.keys(), ...right.keys()])];
  const solved = (s: { solved: number; attempts: number } | undefined) =>
    s ? `${s.solved}/${s.attempts}` : "-";
  const rows = tasks.map((task) => {
    const l = left.get(task);
    const r = right.get(task);
    return [
      task,
      solved(l),
      solved(r),
      int(l?.prompt_tokens ?? null),
      int(r?.prompt_tokens ?? null),
      seconds(l?.wall_s ?? null),
      seconds(r?.wall_s ?? null),
    ];
  });
  const table = formatTable([
    "TASK",
    "A SOLVED",
    "B SOLVED",
    "A PROMPT",
    "B PROMPT",
    "A WALL",
    "B WALL",
  ], rows);
  const ta = totalsRows(a.result.totals);
  const tb = totalsRows(b.result.totals);
  const totals = formatTable(
    ["TOTAL", "A", "B"],
    ta.map(([label, value], i) => [label, value, tb[i]?.[1] ?? "-"]),
  );
  const header = [
    `A: ${a.label} (${a.result.runner}, ${a.result.started_at})`,
    `B: ${b.label} (${b.result.runner}, ${b.result.started_at})`,
  ].join("\n");
  return `${header}\n\n${table}\n\n${totals}`;
}
