/**
 * One message's step of a factory actor, as one handle: the run it works for
 * (its record and work order, parsed with today's defaults), the run's
 * artifacts (`once`, `get`, `put`: checked, redacted and parsed in
 * lib/factory/artifact_store.ts), its events (`emit`, `live`: typed, checked
 * and redacted in lib/factory/events.ts `redactedEvent`), and its answers to
 * the run (`reply`, `fail`). Redaction lives in those two places, not at the
 * call sites.
 */
import { retryTransient } from "../../runtime/mod.ts";
import type { ActorContext, Message } from "../../runtime/mod.ts";
import type { Artifact, Usage } from "../../lib/factory/mod.ts";
import {
  type EventKind,
  type NewRunEvent,
  readArtifact,
  redactedEvent,
  writeArtifact,
} from "../../lib/factory/mod.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { type RunRecord, TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import {
  parseWorkOrder,
  storedWorkOrder,
  type WorkOrder,
} from "../../lib/work_order/mod.ts";
import { type RunMessage, runRef } from "../run/messages.ts";
import type { FactoryDeps } from "./deps.ts";
import { type LiveEvent, liveEvents } from "./live_event.ts";

/** The run a station works for: its record and work order. */
export interface ActiveRun {
  record: RunRecord;
  workOrder: WorkOrder;
}

/** An event as a station emits it: typed by its kind; level INFO and the station's iteration unless given. */
export type StationEvent = {
  [K in EventKind]:
    & Omit<Extract<NewRunEvent, { kind: K }>, "iteration">
    & { iteration?: number | null };
}[EventKind];

/** An event an agent loop reported (kind checked when it is written). */
export interface ReportedEvent {
  kind: string;
  level: string;
  payload: Record<string, unknown>;
}

/** One message's step of a station. */
export interface Station {
  /** The run this step works for (an attempt's actor has an id of its own; its owner is the run). */
  readonly runId: string;
  /** Aborted when the step is cancelled (the actor's signal). */
  readonly signal: AbortSignal;
  /**
   * The run: its record and work order (parsed with defaults, the budgets a
   * resume raised in force), or null once the run has ended. Read once per step.
   */
  run(): Promise<ActiveRun | null>;
  /** The work order of `record` (the run actor's record of this step). */
  workOrder(record: RunRecord): Promise<WorkOrder>;
  /** The run's artifact parsed, or null when it was never written. */
  get<T>(artifact: Artifact<T>): Promise<T | null>;
  /** Checks, redacts and stores `value`; returns what was stored. */
  put<T>(artifact: Artifact<T>, value: T): Promise<T>;
  /**
   * The stored artifact when there is one (a redelivered message), else
   * `compute()` checked, redacted and stored: what was stored either way.
   */
  once<T>(artifact: Artifact<T>, compute: () => Promise<T>): Promise<T>;
  /** Appends an event to the run's log with this step's commit, redacted. */
  emit(event: StationEvent): void;
  /** Appends events an agent loop reported (their kinds checked), redacted. */
  emitReported(events: readonly ReportedEvent[]): void;
  /** Appends an event at once, outside the step's commit (best effort; its kind checked), redacted. */
  readonly live: LiveEvent;
  /** Sends the run a message with this step's commit. */
  reply(msg: RunMessage): void;
  /** Tells the run this step failed at `stage`: the run ends FAILED with the (redacted) reason. */
  fail(
    stage: string,
    error: unknown,
    opts?: { iteration?: number | null; usage?: Usage },
  ): void;
}

/**
 * The station handle of one step of `ctx`: for iteration `iteration` when it
 * has one, and for attempt `attempt` of a best-of-N iteration, which every
 * event's payload and every failure then names.
 */
export function station<S, M extends Message>(
  ctx: ActorContext<S, M>,
  deps: FactoryDeps,
  opts: { iteration?: number | null; attempt?: number | undefined } = {},
): Station {
  // An attempt's SE is an actor of its own, owned by the run (its id is not the run's).
  const runId = ctx.owner.id;
  const iteration = opts.iteration ?? null;
  const { attempt } = opts;
  const ofAttempt = <E extends { payload?: unknown }>(event: E): E =>
    attempt === undefined ? event : {
      ...event,
      payload: { ...(event.payload as object | undefined), attempt },
    };
  const live = liveEvents(deps, runId);
  let active: Promise<ActiveRun | null> | null = null;
  const orders = new Map<RunRecord, Promise<WorkOrder>>();
  // Fields in the order the log has always stored them (same JSON).
  const filled = (event: StationEvent) => ({
    kind: event.kind,
    level: event.level ?? "INFO",
    iteration: event.iteration === undefined ? iteration : event.iteration,
    payload: event.payload,
  });
  const workOrder = (record: RunRecord) => {
    let order = orders.get(record);
    if (!order) {
      order = workOrderOf(deps.store, record);
      orders.set(record, order);
    }
    return order;
  };
  const get = <T>(artifact: Artifact<T>) =>
    readArtifact(deps.store, runId, artifact);
  const put = <T>(artifact: Artifact<T>, value: T) =>
    writeArtifact(deps.store, runId, {
      artifact,
      value,
      redactor: deps.redactor,
    });
  return {
    runId,
    signal: ctx.signal,
    run() {
      active ??= (async () => {
        const record = await retryTransient(() => deps.store.findRun(runId));
        if (!record || TERMINAL_STATUSES.has(record.status)) return null;
        return { record, workOrder: await workOrder(record) };
      })();
      return active;
    },
    workOrder,
    get,
    put,
    async once(artifact, compute) {
      return await get(artifact) ?? await put(artifact, await compute());
    },
    emit(event) {
      ctx.emit(redactedEvent(ofAttempt(filled(event)), deps.redactor));
    },
    emitReported(events) {
      for (const event of events) {
        ctx.emit(
          redactedEvent(ofAttempt({ iteration, ...event }), deps.redactor),
        );
      }
    },
    live: (event) => live(ofAttempt(event)),
    reply(msg) {
      ctx.send(runRef(runId), msg);
    },
    fail(stage, error, failure = {}) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.send(runRef(runId), {
        type: "failed",
        stage,
        iteration: failure.iteration === undefined
          ? iteration
          : failure.iteration,
        ...(attempt === undefined ? {} : { attempt }),
        message: deps.redactor.redact(message),
        ...(failure.usage ? { usage: failure.usage } : {}),
      });
    },
  };
}

/**
 * The validated work order stored with a run at submit, parsed with today's
 * defaults, with the budgets a resume raised (`record.limits`) in force.
 * Runs stored before the work order was kept fall back to parsing their
 * markdown.
 */
export async function workOrderOf(
  store: RunStore,
  record: RunRecord,
): Promise<WorkOrder> {
  const stored = await retryTransient(() => store.getWorkOrder(record.id));
  const workOrder = stored === null
    ? parseWorkOrder(record.work_order_md)
    : storedWorkOrder(stored, record.id);
  return record.limits ? { ...workOrder, ...record.limits } : workOrder;
}
