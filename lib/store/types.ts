/** Shapes of what the run store keeps in KV (DESIGN §4), each defined once as a zod schema. */
import { z } from "zod";
import { usageSchema } from "../factory/shapes.ts";

export type { Usage } from "../factory/shapes.ts";

/**
 * Lifecycle of a run; SUCCEEDED, FAILED, CANCELLED and REJECTED are terminal
 * and never change. AWAITING_APPROVAL waits (no worker, no lease) for an
 * approve or reject; PAUSED (a budget reached with `on_budget: pause`) waits
 * the same way for POST /runs/{id}/resume.
 */
export const runStatusSchema = z.enum([
  "PENDING",
  "RUNNING",
  "AWAITING_APPROVAL",
  "PAUSED",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "REJECTED",
]);
/** Lifecycle of a run. */
export type RunStatus = z.infer<typeof runStatusSchema>;

/** All statuses, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = runStatusSchema.options;

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "REJECTED",
]);

/** The budgets `on_budget: pause` watches, as a paused run last had them. */
export const budgetLimitsSchema = z.object({
  max_total_tokens: z.number().int(),
  max_cost_usd: z.number().nullable(),
  max_wall_time_s: z.number().int(),
});
/** The budgets `on_budget: pause` watches. */
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

/** Why and where a run is PAUSED: what POST /runs/{id}/resume must raise. */
export const runPauseSchema = z.object({
  /** The budget reached: `max_total_tokens`, `max_cost_usd` or `max_wall_time_s`. */
  reason: z.enum(["max_total_tokens", "max_cost_usd", "max_wall_time_s"]),
  message: z.string(),
  paused_at: z.string(),
  limits: budgetLimitsSchema,
  /** Wall time the run has worked so far; time spent paused never counts. */
  wall_time_used_s: z.number(),
});
/** Why and where a run is PAUSED. */
export type RunPause = z.infer<typeof runPauseSchema>;

/** The run record (JSON field names as the original service's API). */
export const runRecordSchema = z.object({
  /** UUIDv7: time-ordered. */
  id: z.string(),
  status: runStatusSchema,
  title: z.string().nullable(),
  repo: z.string(),
  clone_branch: z.string(),
  push_branch: z.string().nullable(),
  /** 0 before the first iteration starts. */
  iteration: z.number().int(),
  max_iterations: z.number().int(),
  /** ISO 8601 timestamps. */
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  result_summary: z.string().nullable(),
  error: z.string().nullable(),
  /** The pull request opened or updated for `push_branch` (work order `pull_request`). */
  pull_request_url: z.string().nullable(),
  usage: usageSchema,
  /** The original work order text, frontmatter and body. */
  work_order_md: z.string(),
  /** The run this one follows up (POST /runs/{id}/revise); absent in older records. */
  parent_run_id: z.string().nullable().optional(),
  /**
   * W3C trace context of the run's root span (`00-<trace id>-<span id>-01`),
   * so every process that works on the run continues one trace; absent in
   * older records.
   */
  traceparent: z.string().optional(),
  /** Why the run is PAUSED; null once resumed; absent in older records. */
  pause: runPauseSchema.nullable().optional(),
  /** The budgets POST /runs/{id}/resume raised, in force over the work order's. */
  limits: budgetLimitsSchema.nullable().optional(),
  /** The schedule that started this run (POST /schedules); absent otherwise. */
  schedule_id: z.string().nullable().optional(),
});
/** The run record. */
export type RunRecord = z.infer<typeof runRecordSchema>;

/** Severity of an event. */
export const eventLevelSchema = z.enum(["DEBUG", "INFO", "WARN", "ERROR"]);
/** Severity of an event. */
export type EventLevel = z.infer<typeof eventLevelSchema>;

/** One entry of a run's append-only event log. */
export const runEventSchema = z.object({
  /** Sortable sequence string, unique within the run; `after=` takes it. */
  seq: z.string(),
  ts: z.string(),
  level: eventLevelSchema,
  kind: z.string(),
  iteration: z.number().int().nullable(),
  payload: z.record(z.string(), z.unknown()),
});
/** One entry of a run's event log. */
export type RunEvent = z.infer<typeof runEventSchema>;

/** Metadata of a stored artifact. */
export const artifactMetaSchema = z.object({
  name: z.string(),
  content_type: z.string(),
  bytes: z.number().int(),
  created_at: z.string(),
});
/** Metadata of a stored artifact. */
export type ArtifactMeta = z.infer<typeof artifactMetaSchema>;
