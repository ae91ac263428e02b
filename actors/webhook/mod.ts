/**
 * The webhook actor: delivers one signed run event (DESIGN §8) to
 * AOS_WEBHOOK_URL, retrying on timeout, 5xx, 408/429 and connection errors with
 * backoff through durable timers (`ctx.after`), so a restart between attempts
 * loses nothing. One actor per (run, event), spawned by the run actor, owned
 * by the run: its WEBHOOK_DELIVERED / WEBHOOK_FAILED events land in the run's log.
 */
import { defineActor } from "../../runtime/mod.ts";
import type { ActorContext, Message } from "../../runtime/mod.ts";
import {
  attemptDelivery,
  backoffMs,
  webhookEventOf,
} from "../../lib/webhook/mod.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { station } from "../support/station.ts";
import {
  webhookInit,
  type WebhookMessage,
  webhookMessages,
  webhookRef,
  type WebhookState,
} from "./messages.ts";

/**
 * Spawns the delivery of the webhook for `status` of run `runId`, when
 * AOS_WEBHOOK_EVENTS subscribes to it; committed with the caller's step.
 */
export function notifyWebhook<S, M extends Message>(
  ctx: ActorContext<S, M>,
  deps: FactoryDeps,
  runId: string,
  status: string,
): void {
  const event = webhookEventOf(status);
  const hook = deps.config.webhook;
  if (event === null || hook === null || !hook.events.has(event)) return;
  const ref = ctx.spawn(webhookRef(runId, event), {
    runId,
    event,
    deliveryId: crypto.randomUUID(),
  });
  ctx.send(ref, { type: "deliver" });
}

/** The URL as events show it: origin and path, never a query string (it may hold a token). */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** The webhook actor type. */
export function webhookActor(deps: FactoryDeps) {
  return defineActor<WebhookState, WebhookMessage>({
    type: ACTOR.webhook,
    messages: webhookMessages,
    initialState: (init) => ({
      ...webhookInit.parse(init),
      attempt: 1,
      firstAttemptAt: null,
      done: false,
    }),
    handlers: {
      async deliver(ctx) {
        const state = ctx.state;
        if (state.done) return;
        // Its events go to the run's log, typed and redacted by the station.
        const st = station(ctx, deps);
        const hook = deps.config.webhook;
        const base = { event: state.event, delivery: state.deliveryId };
        const end = (next: Partial<WebhookState>) => {
          ctx.setState({ ...state, ...next, done: true });
          ctx.stop();
        };
        if (hook === null) {
          st.emit({
            kind: "WEBHOOK_FAILED",
            level: "WARN",
            payload: {
              ...base,
              attempt: state.attempt,
              status: null,
              error: "AOS_WEBHOOK_URL is no longer configured in this process",
              final: true,
            },
          });
          return end({});
        }
        const record = await deps.store.findRun(state.runId);
        if (!record) return end({});
        // Receivers have the API for the work order text; it can be large.
        const { work_order_md: _text, ...run } = record;
        const firstAttemptAt = state.firstAttemptAt ?? Date.now();
        const result = await attemptDelivery({
          url: hook.url,
          secret: hook.secret,
          allowPrivate: hook.allowPrivate,
          event: state.event,
          deliveryId: state.deliveryId,
          run: deps.redactor.redactDeep(run),
        });
        const payload = {
          ...base,
          url: shownUrl(hook.url),
          attempt: state.attempt,
          status: result.status,
        };
        if (result.outcome === "delivered") {
          st.emit({ kind: "WEBHOOK_DELIVERED", payload });
          return end({ firstAttemptAt });
        }
        // A receiver's Retry-After is honoured when longer than the backoff.
        const delay = Math.max(
          backoffMs(state.attempt),
          result.retryAfterMs ?? 0,
        );
        const giveUp = result.outcome === "failed" ||
          Date.now() + delay - firstAttemptAt > hook.retryForMs;
        st.emit({
          kind: "WEBHOOK_FAILED",
          level: giveUp ? "ERROR" : "WARN",
          payload: {
            ...payload,
            error: result.error ?? "failed",
            ...(giveUp ? { final: true } : { retry_in_ms: delay }),
          },
        });
        if (giveUp) return end({ firstAttemptAt });
        ctx.setState({ ...state, attempt: state.attempt + 1, firstAttemptAt });
        ctx.after(delay, { type: "deliver" });
      },
    },
  });
}
