import { isTransient } from "../../runtime/mod.ts";
import type { ActorContext, DeadLetter, Message } from "../../runtime/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import type { FactoryDeps } from "./deps.ts";
import { type ActiveRun, type Station, station } from "./station.ts";

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
    station(ctx, deps, {
      iteration: typeof iteration === "number" ? iteration : null,
      attempt: typeof attempt === "number" ? attempt : undefined,
    }).fail(stage, deadLetterReason(dl));
  };
}

/**
 * Runs a child's step; an error becomes a `failed` message to the run (so the
 * run ends FAILED with the reason) instead of a retry loop. A step aborted by a
 * cancel rethrows, and the runtime discards it; so does an error `redeliver`
 * picks out, and the runtime retries the message.
 */
export async function reportingFailure(
  st: Station,
  where: {
    stage: string;
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
    if (
      st.signal.aborted || isTransient(error) || where.redeliver?.(error)
    ) {
      throw error;
    }
    st.fail(where.stage, error);
  }
}
