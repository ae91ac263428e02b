/**
 * The events a run's log holds, declared once: one row per kind with what it
 * says and its payload's zod schema. `RunEvent` is the discriminated union
 * of them (on `kind`), so writers are typed against the payload of the kind
 * they emit and readers (timeline, live view, CLI progress, OpenAPI) switch
 * on typed kinds. A new kind is one row in `EVENTS` (and a line in the
 * README's list); nothing else has to learn its name.
 *
 * Payloads are loose objects: a field a newer writer adds passes through
 * untouched, so stored events keep their JSON exactly (no migration).
 */
import { z } from "zod";
import { storedUsageSchema } from "./shapes.ts";
import {
  budgetLimitsSchema,
  eventLevelSchema,
  runPauseSchema,
  runStatusSchema,
} from "../store/types.ts";
import { StoredValueError } from "./stored_value.ts";
import type { Redactor } from "../redact.ts";

/** One kind's row: what it says, and its payload. */
function row<S extends z.ZodRawShape>(about: string, payload: S) {
  return { about, payload: z.looseObject(payload) };
}

const agent = z.enum(["se", "po"]);
const budgetReason = runPauseSchema.shape.reason;
const decision = z.enum(["PASS", "FAIL"]);
const count = z.number().int();
const exitCode = z.number().int().nullable();
// Events written before cache and reasoning tokens were counted lack them.
const usage = storedUsageSchema;

/** Every event kind, with what it says and its payload. */
export const EVENTS = {
  RUN_CREATED: row("the run was accepted", {
    repo: z.string(),
    clone_branch: z.string().optional(),
    parent_run_id: z.string().optional(),
    schedule_id: z.string().optional(),
  }),
  RUN_START: row("the run started", { max_iterations: count }),
  WORKSPACE_READY: row("the workspace is checked out at the base commit", {
    base_commit: z.string(),
  }),
  INSTRUCTIONS: row(
    "the repository's instructions files given to the SE and PO (files; refused with reasons), read at the base commit; nested=true for a directory's AGENTS.md shown with an SE tool result",
    {
      files: z.array(z.string()),
      refused: z.array(z.object({ path: z.string(), reason: z.string() }))
        .optional(),
      nested: z.boolean().optional(),
    },
  ),
  PUSH_TARGET: row(
    "push_branch was checked on the remote before setup and the first model call (branch, mode, existing; requested when push_mode: suffix renamed it)",
    {
      branch: z.string(),
      mode: z.string(),
      requested: z.string().optional(),
      /** The remote branch's tip when it exists already, else null. */
      existing: z.string().nullable(),
    },
  ),
  SETUP_RESULT: row("one setup command ran", {
    command: z.string(),
    exit_code: exitCode,
    duration_ms: z.number(),
    timed_out: z.boolean().optional(),
    error_lines: z.array(z.string()).optional(),
    output_head: z.string().optional(),
    output_tail: z.string().optional(),
    omitted_lines: count.optional(),
  }),
  SETUP_SAVED: row("the setup's environment was cached", {
    environment: z.string(),
    files: count,
    bytes: z.number(),
  }),
  SETUP_RESTORED: row(
    "a cached environment was restored instead of running setup",
    { environment: z.string(), files: count, bytes: z.number() },
  ),
  MODEL_UNAVAILABLE: row(
    "at the run's start the model configuration was known to be wrong (endpoint, problems); the run goes on and its requests retry",
    {
      endpoint: z.string(),
      problems: z.array(z.string()),
      checked_at: z.string(),
      note: z.string(),
    },
  ),
  MODEL_RETRY: row(
    "a model request failed and is retried (attempt, wait_s, reason); logged as it happens",
    {
      agent,
      model: z.string(),
      attempt: count,
      wait_s: z.number(),
      reason: z.string(),
      endpoint: z.string().optional(),
    },
  ),
  MODEL_PROGRESS: row(
    "a model request is in flight (elapsed_s, phase, tokens_so_far); a heartbeat while it lasts",
    {
      agent,
      model: z.string(),
      attempt: count,
      elapsed_s: z.number(),
      phase: z.string(),
      tokens_so_far: z.number(),
    },
  ),
  TOOL_CALLS_IN_TEXT: row(
    "the model wrote its tool calls into the message text (the server did not parse them); they were run",
    { agent, step: count, tools: z.array(z.string()) },
  ),
  SE_TOOL_ERROR: row(
    "an SE tool call was refused or failed; the model was told",
    {
      tool: z.string(),
      reason: z.string(),
      error: z.string(),
    },
  ),
  SE_NO_TOOL_CALL: row(
    "an SE reply without a tool call; the model was nudged",
    {
      step: count,
      in_a_row: count,
      content: z.string(),
      /** The reply was empty: kept out of the conversation, asked again at this temperature. */
      empty: z.boolean().optional(),
      retry_temperature: z.number().optional(),
    },
  ),
  SE_FINISH_CHECKED: row(
    "an SE finish was answered with the acceptance commands' failures; the turn went on (compact profile)",
    { step: count, checks: count },
  ),
  SE_TRUNCATED: row("an SE reply was cut at the output-token cap", {
    step: count,
    max_output_tokens: z.number().nullable().optional(),
  }),
  SE_CONTEXT_SHRUNK: row(
    "the endpoint said the request was too long; rebuilt smaller",
    { budget_tokens: z.number(), reason: z.string() },
  ),
  SE_TURN_LIMIT: row("the SE turn ended before finish (reason)", {
    reason: z.string(),
    steps: count,
    message: z.string(),
  }),
  SE_STEP: row(
    "one SE tool call ended (step, tool, path, command shortened, ok, reason, duration_ms; never file contents); logged as it happens",
    {
      attempt: count.optional(),
      step: count,
      tool: z.string(),
      ok: z.boolean(),
      path: z.string().optional(),
      command: z.string().optional(),
      reason: z.string().optional(),
      duration_ms: z.number(),
    },
  ),
  CMD_START: row(
    "a command started (source setup | se | acceptance, command shortened, timeout_s); logged as it happens",
    {
      attempt: count.optional(),
      source: z.enum(["setup", "se", "acceptance"]),
      command: z.string(),
      timeout_s: z.number(),
    },
  ),
  MCP_SERVERS: row(
    "the work order's MCP servers as an SE turn started (server, kind stdio | http, ok, tools offered, dropped unsafe names, error)",
    {
      servers: z.array(z.looseObject({
        server: z.string(),
        kind: z.string(),
        ok: z.boolean(),
        tools: count,
        dropped: count,
        error: z.string().optional(),
      })),
    },
  ),
  NET_ALLOWED: row(
    "a command's connection through the network_allow proxy was let through (source se | acceptance, host, port, address); logged as it happens",
    {
      source: z.string(),
      host: z.string(),
      port: z.number().int().nullable(),
      address: z.string().optional(),
    },
  ),
  NET_REFUSED: row(
    "a command's connection through the network_allow proxy was refused (source, host, port, reason); logged as it happens",
    {
      source: z.string(),
      host: z.string(),
      port: z.number().int().nullable(),
      reason: z.string(),
    },
  ),
  SE_COMMAND: row("one SE run_command", {
    command: z.string(),
    exit_code: exitCode,
    duration_ms: z.number(),
    timed_out: z.boolean(),
    changed: count,
    refused: count,
  }),
  SE_OUTPUT: row(
    "the SE packet: writes, deletes, summary (attempt: which of the attempts=N turns)",
    {
      attempt: count.optional(),
      writes: count,
      deletes: count,
      summary: z.string(),
      // Runs recorded before usage was kept have none.
      usage: usage.optional(),
    },
  ),
  CMD_RESULT: row("one acceptance command ran", {
    attempt: count.optional(),
    command: z.string(),
    exit_code: exitCode,
    duration_ms: z.number(),
    timed_out: z.boolean().optional(),
  }),
  PATH_REJECTED: row("a change broke the path policy and was not applied", {
    path: z.string(),
    reason: z.string(),
  }),
  TR_APPLY: row(
    "the packet was applied and the acceptance commands ran (attempt: whose packet)",
    {
      attempt: count.optional(),
      applied: count,
      rejected: count,
      ok: z.boolean(),
      failed_commands: count,
    },
  ),
  PO_VERDICT_FROM_TEXT: row(
    "the PO answered in prose instead of submit_verdict; its unambiguous PASS/FAIL was taken",
    { step: count, decision },
  ),
  PO_RESULT: row(
    "the PO's decision and feedback (attempt: the one it judged or picked)",
    {
      attempt: count.optional(),
      decision,
      feedback: z.string(),
      usage: usage.optional(),
    },
  ),
  ATTEMPTS_DROPPED: row(
    "attempts left out before the PO's review (attempts; reason: failing acceptance commands, no change, or the SE turn failed)",
    {
      attempts: z.array(count),
      reason: z.string(),
    },
  ),
  ATTEMPT_PICKED: row(
    "the attempt the run goes on with (attempt; decision PASS: the PO picked it, FAIL: the best one, which the next iteration continues; candidates: those the PO judged)",
    {
      attempt: count,
      decision,
      candidates: z.array(count),
      reason: z.string(),
    },
  ),
  PUSH: row("the result was committed (and pushed)", {
    branch: z.string().nullable(),
    commit: z.string().nullable(),
    pushed: z.boolean(),
  }),
  PR_OPENED: row("a pull request was opened", {
    url: z.string(),
    number: count,
    branch: z.string().nullable(),
  }),
  PR_UPDATED: row("a pull request was updated", {
    url: z.string(),
    number: count,
    branch: z.string().nullable(),
  }),
  AWAITING_APPROVAL: row(
    "a PASS under approval: before_push was committed, not pushed (or, before: start, a trigger from an untrusted author before anything ran); the run waits for approve or reject",
    { commit: z.string().nullable(), branch: z.string().nullable() },
  ),
  RUN_APPROVED: row("a person approved the push", {
    commit: z.string().nullable(),
    comment: z.string().optional(),
  }),
  RUN_REJECTED: row("a person rejected the result; nothing was pushed", {
    commit: z.string().nullable(),
    comment: z.string().optional(),
  }),
  RUN_PAUSED: row(
    "on_budget: pause — a budget was reached (reason: max_total_tokens | max_cost_usd | max_wall_time_s); the run waits PAUSED, holding no worker, for POST /runs/{id}/resume",
    {
      reason: budgetReason,
      message: z.string(),
      usage,
      limits: budgetLimitsSchema,
      wall_time_used_s: z.number(),
      resumes_at: z.string(),
    },
  ),
  RUN_RESUMED: row(
    "a PAUSED run was resumed with raised limits; it goes on from the step it paused at",
    {
      limits: budgetLimitsSchema,
      previous_limits: budgetLimitsSchema,
      wall_time_used_s: z.number(),
      resumes_at: z.string(),
    },
  ),
  RESUME_REFUSED: row(
    "a resume arrived whose limits were still reached; the run stays PAUSED",
    { message: z.string(), limits: budgetLimitsSchema },
  ),
  RUN_CANCELLED: row("the run was cancelled", { phase: z.string() }),
  SCHEDULE_SKIPPED: row(
    "a schedule's slot came while this run (its previous firing) was still active, so no run was started for it",
    {
      schedule_id: z.string(),
      slot: z.string(),
      status: runStatusSchema,
      message: z.string(),
    },
  ),
  ERROR: row("the run failed (stage, message)", {
    stage: z.string(),
    message: z.string(),
  }),
  RUN_END: row("the run ended (status)", {
    status: runStatusSchema,
    result_summary: z.string().optional(),
    error: z.string().optional(),
  }),
  FOLLOW_UP: row(
    "a follow-up of this finished run was started (run_id); the follow-up's RUN_CREATED names this run as parent_run_id",
    { run_id: z.string() },
  ),
  TRIGGER_REPLIED: row(
    "the outcome of a run from a forge trigger was commented on its issue or pull request (url, status)",
    { url: z.string(), status: z.string() },
  ),
  TRIGGER_REPLY_FAILED: row(
    "the forge refused that comment (url, message); the run's outcome is unchanged",
    { url: z.string(), message: z.string() },
  ),
  WEBHOOK_DELIVERED: row("a webhook was delivered", {
    event: z.string(),
    delivery: z.string(),
    url: z.string().optional(),
    attempt: count,
    status: z.number().int().nullable(),
  }),
  WEBHOOK_FAILED: row("a webhook delivery failed", {
    event: z.string(),
    delivery: z.string(),
    url: z.string().optional(),
    attempt: count,
    status: z.number().int().nullable(),
    error: z.string(),
    final: z.boolean().optional(),
    retry_in_ms: z.number().optional(),
  }),
} as const;

type Rows = typeof EVENTS;
/** A kind of run event. */
export type EventKind = keyof Rows;
/** Every kind, in the table's order. */
export const EVENT_KINDS = Object.keys(EVENTS) as EventKind[];
/** What an event of `kind` carries. */
export type EventPayload<K extends EventKind> = z.infer<Rows[K]["payload"]>;

/** An event as a station emits it (the store fills seq and ts), typed per kind. */
export type NewRunEvent = {
  [K in EventKind]: {
    kind: K;
    level?: z.infer<typeof eventLevelSchema>;
    iteration: number | null;
    payload: z.input<Rows[K]["payload"]>;
  };
}[EventKind];

function member<K extends EventKind>(kind: K) {
  return z.object({
    seq: z.string(),
    ts: z.string(),
    level: eventLevelSchema,
    kind: z.literal(kind),
    iteration: z.number().int().nullable(),
    payload: EVENTS[kind].payload as Rows[K]["payload"],
  });
}
type Member<K extends EventKind> = ReturnType<typeof member<K>>;
type Members = { [K in EventKind]: Member<K> }[EventKind];

/** One stored event of a run's log: the discriminated union of every kind. */
export const runEventSchema = z.discriminatedUnion(
  "kind",
  EVENT_KINDS.map(member) as unknown as [Members, ...Members[]],
);
/** One event of a run's log, its payload typed by its kind. */
export type RunEvent = z.infer<typeof runEventSchema>;

/** Whether `kind` is a declared event kind. */
export function isEventKind(kind: string): kind is EventKind {
  return Object.hasOwn(EVENTS, kind);
}

/**
 * A stored event read as its kind says: a `StoredValueError` naming the
 * event (seq and kind) and the field when it does not parse.
 */
export function parseRunEvent(event: unknown): RunEvent {
  const parsed = runEventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const { seq, kind } = (event ?? {}) as { seq?: unknown; kind?: unknown };
  throw new StoredValueError(
    `event ${typeof seq === "string" ? `${seq} ` : ""}(${
      typeof kind === "string" ? kind : "no kind"
    })`,
    parsed.error,
  );
}

/**
 * The typed view of a stored event for readers that show what they can (the
 * timeline, the CLI's progress line): null for a kind this build does not
 * know or a payload that does not fit, so one odd event never breaks a page.
 */
export function typedEvent(event: unknown): RunEvent | null {
  const parsed = runEventSchema.safeParse(event);
  return parsed.success ? parsed.data : null;
}

/**
 * Checks an event a station is about to write against its row: a kind not
 * in `EVENTS` or a payload that does not fit is a bug, named here rather
 * than found by a reader later. Returns the event as given (nothing stripped).
 */
export function checkNewEvent<E extends { kind: string; payload?: unknown }>(
  event: E,
): E {
  if (!isEventKind(event.kind)) {
    throw new TypeError(
      `Event kind '${event.kind}' is not declared in lib/factory/events.ts EVENTS`,
    );
  }
  const parsed = EVENTS[event.kind].payload.safeParse(event.payload ?? {});
  if (!parsed.success) {
    throw new StoredValueError(`new event (${event.kind})`, parsed.error);
  }
  return event;
}

/**
 * The payload of `event` read as `kind`'s, or null when the event is of
 * another kind or its payload does not fit (an older run's event): readers
 * that only need the kind keep working, the fields they show are typed.
 */
export function payloadOf<K extends EventKind>(
  event: { kind: string; payload?: unknown },
  kind: K,
): EventPayload<K> | null {
  if (event.kind !== kind) return null;
  const parsed = EVENTS[kind].payload.safeParse(event.payload ?? {});
  return parsed.success ? parsed.data as EventPayload<K> : null;
}

/**
 * `event` as it is written to a run's log: checked against its row, its
 * payload's secrets masked (every string, nested). The one place events are
 * redacted; stations emit through it.
 */
export function redactedEvent<E extends { kind: string; payload?: unknown }>(
  event: E,
  redactor: Redactor,
): E {
  checkNewEvent(event);
  return { ...event, payload: redactor.redactDeep(event.payload ?? {}) };
}
