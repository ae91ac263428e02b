import { isTransient, retryTransient } from "../../runtime/mod.ts";
import type { ActorContext, DeadLetter, Message } from "../../runtime/types.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import type { RunRecord } from "../../lib/store/types.ts";
import { TERMINAL_STATUSES } from "../../lib/store/types.ts";
import { parseWorkOrder, type WorkOrder } from "../../lib/work_order/parse.ts";
import { storedWorkOrder } from "../../lib/work_order/stored.ts";
import type { FactoryDeps } from "./deps.ts";
import { runRef } from "../run/messages.ts";

/** The run a child works for: its record and work order. */
export interface ActiveRun {
  record: RunRecord;
  workOrder: WorkOrder;
}

/** The run a child works for, or null once that run has ended. */
export async function activeRun(
  deps: FactoryDeps,
  runId: string,
): Promise<ActiveRun | null> {
  const record = await retryTransient(() => deps.store.findRun(runId));
  if (!record || TERMINAL_STATUSES.has(record.status)) return null;
  return { record, workOrder: await workOrderOf(deps.store, record) };
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

/** The task as the agents see it. */
export function taskOf(workOrder: WorkOrder) {
  return {
    title: workOrder.title,
    body: workOrder.task,
    acceptanceCommands: workOrder.acceptance_commands,
    allowedPaths: workOrder.allowed_paths,
    forbiddenPaths: workOrder.forbidden_paths,
  };
}

/** Tokens the run may still spend (`max_total_tokens` less what it used). */
export function tokensLeft(run: ActiveRun): number {
  return Math.max(
    0,
    run.workOrder.max_total_tokens - run.record.usage.total_tokens,
  );
}

/** Why a message of a run died, in one line for the run's `error`. */
export function deadLetterReason(dl: DeadLetter): string {
  const type = (dl.message as { type?: unknown } | null)?.type;
  return `Message '${
    typeof type === "string" ? type : "(spawn)"
  }' to ${dl.actor.type} could not be handled after ${dl.attempts} attempt(s): ${dl.error}`;
}

/**
 * A child's `onDeadLetter`: the run is told, in the dead letter's own commit,
 * and ends FAILED with the reason instead of waiting in its phase forever.
 */
export function failRunOnDeadLetter(
  deps: FactoryDeps,
  stage: string,
): <S, M extends Message>(ctx: ActorContext<S, M>, dl: DeadLetter) => void {
  return (ctx, dl) => {
    const { iteration, attempt } = (dl.message ?? {}) as {
      iteration?: unknown;
      attempt?: unknown;
    };
    // ctx.owner: an attempt's SE is owned by the run and has an id of its own.
    ctx.send(runRef(ctx.owner.id), {
      type: "failed",
      stage,
      iteration: typeof iteration === "number" ? iteration : null,
      ...(typeof attempt === "number" ? { attempt } : {}),
      message: deps.redactor.redact(deadLetterReason(dl)),
    });
  };
}

/**
 * Runs a child's step; an error becomes a `failed` message to the run (so the
 * run ends FAILED with the reason) instead of a retry loop. A step aborted by a
 * cancel rethrows, and the runtime discards it; so does an error `redeliver`
 * picks out, and the runtime retries the message.
 */
export async function reportingFailure<S, M extends Message>(
  ctx: ActorContext<S, M>,
  deps: FactoryDeps,
  where: {
    stage: string;
    iteration: number | null;
    /** The best-of-N attempt the step worked for, if any. */
    attempt?: number | undefined;
    /** Errors that say nothing about the message (a stale view): retried, not reported. */
    redeliver?: ((error: unknown) => boolean) | undefined;
  },
  step: () => Promise<void>,
): Promise<void> {
  try {
    await step();
  } catch (error) {
    // A cancel discards the step; a transient storage error (another process
    // holding SQLite's write lock) is no reason to fail the run: the runtime
    // redelivers the message, and the step reuses what it already stored.
    if (ctx.signal.aborted || isTransient(error) || where.redeliver?.(error)) {
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.send(runRef(ctx.owner.id), {
      type: "failed",
      stage: where.stage,
      iteration: where.iteration,
      ...(where.attempt === undefined ? {} : { attempt: where.attempt }),
      message: deps.redactor.redact(message),
    });
  }
}
