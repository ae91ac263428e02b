/** Approving or rejecting a run that waits in AWAITING_APPROVAL (`approval: before_push`). */
import type { ActorSystem } from "../../runtime/mod.ts";
import { ConflictError } from "../../lib/errors.ts";
import type { RunRecord, RunStore } from "../../lib/store/mod.ts";
import { runRef } from "./messages.ts";

/** A person's decision, with an optional comment (kept in the run's events). */
export interface Decision {
  action: "approve" | "reject";
  comment?: string | null;
}

/**
 * Sends the decision to the run actor and waits briefly for it to take
 * effect; 409 unless the run is AWAITING_APPROVAL, 404 for an unknown run.
 * `done` is false when the actor has not acted yet (the decision still holds:
 * it is committed in the actor's mailbox).
 */
export async function decide(
  opts: { store: RunStore; system: ActorSystem },
  id: string,
  decision: Decision,
): Promise<{ run: RunRecord; done: boolean }> {
  let run = await opts.store.getRun(id);
  if (run.status !== "AWAITING_APPROVAL") {
    throw new ConflictError(
      `Run '${id}' is ${run.status}, not AWAITING_APPROVAL: only a run waiting for approval can be ${
        decision.action === "approve" ? "approved" : "rejected"
      }`,
    );
  }
  await opts.system.send(runRef(id), {
    type: decision.action,
    ...(decision.comment ? { comment: decision.comment } : {}),
  });
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    run = await opts.store.getRun(id);
    if (run.status !== "AWAITING_APPROVAL") return { run, done: true };
  }
  return { run, done: false };
}
