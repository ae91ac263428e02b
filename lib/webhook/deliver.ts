/** One webhook delivery attempt: SSRF check, signed POST, no redirects, a timeout. */
import type { WebhookEvent } from "./config.ts";
import { signWebhook } from "./sign.ts";
import { checkTarget, type Resolver } from "./target.ts";

/** How long one attempt may take before it counts as a timeout. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** What one attempt did: delivered, worth retrying, or failed for good. */
export interface AttemptOutcome {
  outcome: "delivered" | "retry" | "failed";
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  /** Why it did not succeed (never the secret). */
  error: string | null;
  /** The receiver's Retry-After (429/503), in ms, at most an hour. */
  retryAfterMs?: number;
}

/** Retry-After in ms (delta seconds or an HTTP date), capped at an hour; undefined if absent or bad. */
export function retryAfterMs(
  header: string | null,
  now = Date.now(),
): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  const ms = /^\d+$/.test(value)
    ? Number(value) * 1000
    : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 3_600_000);
}

/** One delivery to send. */
export interface WebhookDelivery {
  url: string;
  secret: string;
  allowPrivate: boolean;
  event: WebhookEvent;
  /** Stays the same across retries: receivers deduplicate on X-AOS-Delivery. */
  deliveryId: string;
  run: Record<string, unknown>;
  resolve?: Resolver;
  timeoutMs?: number;
}

/** Sends one attempt of `delivery`. */
export async function attemptDelivery(
  delivery: WebhookDelivery,
): Promise<AttemptOutcome> {
  const url = new URL(delivery.url);
  const refused = await checkTarget(
    url,
    delivery.allowPrivate,
    delivery.resolve,
  );
  if (refused) {
    return {
      outcome: refused.retry ? "retry" : "failed",
      status: null,
      error: refused.message,
    };
  }
  const now = new Date();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const body = JSON.stringify({
    id: delivery.deliveryId,
    event: delivery.event,
    delivered_at: now.toISOString(),
    run: delivery.run,
  });
  const signature = await signWebhook(delivery.secret, timestamp, body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(delivery.timeoutMs ?? ATTEMPT_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "AOS-Webhook/1",
        "x-aos-event": delivery.event,
        "x-aos-delivery": delivery.deliveryId,
        "x-aos-timestamp": timestamp,
        "x-aos-signature-256": signature,
      },
      body,
    });
  } catch (error) {
    const timedOut = error instanceof DOMException &&
      (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      outcome: "retry",
      status: null,
      error: timedOut
        ? `Timed out after ${delivery.timeoutMs ?? ATTEMPT_TIMEOUT_MS} ms`
        : `Connection failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
    };
  }
  // The body is not needed; reading it frees the connection.
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  if (status >= 200 && status < 300) {
    return { outcome: "delivered", status, error: null };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: "failed",
      status,
      error:
        `Receiver answered a redirect (HTTP ${status}); redirects are not followed`,
    };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const after = retryAfterMs(response.headers.get("retry-after"));
    return {
      outcome: "retry",
      status,
      error: `Receiver answered HTTP ${status}`,
      ...(after === undefined ? {} : { retryAfterMs: after }),
    };
  }
  return {
    outcome: "failed",
    status,
    error: `Receiver answered HTTP ${status}`,
  };
}

/** Delay before attempt `n + 1` after attempt `n` failed: 1 s doubling, at most 15 min, ±20 %. */
export function backoffMs(
  n: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(1000 * 2 ** Math.max(0, n - 1), 15 * 60_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}
