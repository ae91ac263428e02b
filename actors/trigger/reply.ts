/**
 * The reply actor: when a run started from an issue or pull request ends,
 * its outcome (and pull request link) goes back to that thread as a
 * comment. One per run, a child of the run (its events land in the run's
 * log); a forge that is down is retried with backoff, a refusal is logged.
 */
import { defineActor, retryTransient } from "../../runtime/mod.ts";
import type { ActorContext, Message } from "../../runtime/mod.ts";
import { ForgeError, postComment } from "../../lib/forge/mod.ts";
import {
  TriggerKeys,
  type TriggerOrigin,
  triggerOriginSchema,
} from "../../lib/trigger/mod.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { station } from "../support/station.ts";
import { endedComment, runLink } from "./comments.ts";
import { type ReplyMessage, replyMessages, replyRef } from "./messages.ts";

/** Where run `runId` answers, or null for a run not started by a trigger. */
export async function triggerOriginOf(
  store: RunStore,
  runId: string,
): Promise<TriggerOrigin | null> {
  const keys = new TriggerKeys(store.keys.prefix);
  const entry = await retryTransient(() =>
    store.kv.get<unknown>(keys.origin(runId))
  );
  const parsed = triggerOriginSchema.safeParse(entry.value);
  return parsed.success ? parsed.data : null;
}

/**
 * Spawns the reply to the thread of a run from a trigger that reached
 * `status` (one read; nothing for other runs); committed with the caller's step.
 */
export async function notifyForge<S, M extends Message>(
  ctx: ActorContext<S, M>,
  store: RunStore,
  runId: string,
  status: string,
): Promise<void> {
  if (!(await triggerOriginOf(store, runId))) return;
  const ref = ctx.spawn(replyRef(runId), null);
  ctx.send(ref, { type: "ended", status });
}

/** Whether a forge failure may pass (no answer, 5xx, 429): retried. */
export function transientForgeError(error: unknown): boolean {
  return error instanceof ForgeError &&
    (error.status === null || error.status >= 500 || error.status === 429);
}

/** The reply actor type. */
export function replyActor(deps: FactoryDeps) {
  const { store } = deps;
  return defineActor<null, ReplyMessage>({
    type: ACTOR.triggerReply,
    messages: replyMessages,
    initialState: () => null,
    // About an hour of backoff for a forge that is down.
    retry: { maxAttempts: 12, baseDelayMs: 2_000 },
    handlers: {
      async ended(ctx: ActorContext<null, ReplyMessage>) {
        const runId = ctx.self.id;
        // Its events go to the run's log, typed and redacted by the station.
        const st = station(ctx, deps);
        const origin = await triggerOriginOf(store, runId);
        const run = await retryTransient(() => store.findRun(runId));
        if (!origin || !run) return;
        try {
          await postComment({
            repo: origin.repo,
            credentials: deps.config.gitCredentials,
            target: origin.target,
            text: deps.redactor.redactKnown(
              endedComment(runLink(deps.config.publicUrl, runId), run),
            ),
            signal: ctx.signal,
          });
          st.emit({
            kind: "TRIGGER_REPLIED",
            payload: { url: origin.target.url, status: run.status },
          });
        } catch (error) {
          if (ctx.signal.aborted || transientForgeError(error)) throw error;
          st.emit({
            kind: "TRIGGER_REPLY_FAILED",
            level: "WARN",
            payload: {
              url: origin.target.url,
              message: error instanceof Error ? error.message : String(error),
            },
          });
        }
        ctx.stop();
      },
    },
  });
}
