/** Shapes of what the run store keeps in KV (DESIGN §4). */

/** Lifecycle of a run; the last three are terminal and never change. */
export type RunStatus =
  | "PENDING"
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLED";

/** All statuses, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
];

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
]);

/** Token usage and cost accumulated over a run's model calls. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

/** The run record (JSON field names as the original service's API). */
export interface RunRecord {
  /** UUIDv7: time-ordered. */
  id: string;
  status: RunStatus;
  title: string | null;
  repo: string;
  clone_branch: string;
  push_branch: string | null;
  /** 0 before the first iteration starts. */
  iteration: number;
  max_iterations: number;
  /** ISO 8601 timestamps. */
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result_summary: string | null;
  error: string | null;
  usage: Usage;
  /** The original work order text, frontmatter and body. */
  work_order_md: string;
}

/** Severity of an event. */
export type EventLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** One entry of a run's append-only event log. */
export interface RunEvent {
  /** Sortable sequence string, unique within the run; `after=` takes it. */
  seq: string;
  ts: string;
  level: EventLevel;
  kind: string;
  iteration: number | null;
  payload: Record<string, unknown>;
}

/** Metadata of a stored artifact. */
export interface ArtifactMeta {
  name: string;
  content_type: string;
  bytes: number;
  created_at: string;
}
