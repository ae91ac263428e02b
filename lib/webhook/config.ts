/** Webhook settings (DESIGN §8): AOS_WEBHOOK_URL, _SECRET, _EVENTS, _ALLOW_PRIVATE, _RETRY_FOR_S. */

/** A run event a webhook can subscribe to. */
export type WebhookEvent =
  | "run.started"
  | "run.succeeded"
  | "run.failed"
  | "run.cancelled"
  | "run.awaiting_approval"
  | "run.paused";

/** The events `run.finished` stands for. */
const FINISHED: readonly WebhookEvent[] = [
  "run.succeeded",
  "run.failed",
  "run.cancelled",
];

const ALL: readonly WebhookEvent[] = [
  "run.started",
  ...FINISHED,
  "run.awaiting_approval",
  "run.paused",
];

/** Where and how run webhooks are delivered. */
export interface WebhookConfig {
  url: string;
  secret: string;
  events: ReadonlySet<WebhookEvent>;
  /** AOS_WEBHOOK_ALLOW_PRIVATE: loopback and private addresses may be targets. */
  allowPrivate: boolean;
  /** AOS_WEBHOOK_RETRY_FOR_S: retries stop this long after the first attempt. */
  retryForMs: number;
}

/** The webhook event of a run status, or null for statuses nobody subscribes to. */
export function webhookEventOf(status: string): WebhookEvent | null {
  switch (status) {
    case "RUNNING":
      return "run.started";
    case "SUCCEEDED":
      return "run.succeeded";
    case "FAILED":
      return "run.failed";
    case "CANCELLED":
      return "run.cancelled";
    case "AWAITING_APPROVAL":
      return "run.awaiting_approval";
    case "PAUSED":
      return "run.paused";
    default:
      return null;
  }
}

/**
 * Reads the webhook variables; null when AOS_WEBHOOK_URL is unset. Problems
 * are returned as `[variable, message]` pairs (never quoting the secret).
 */
export function readWebhookConfig(
  read: (name: string) => string | null,
): { webhook: WebhookConfig | null; issues: [string, string][] } {
  const issues: [string, string][] = [];
  const url = read("AOS_WEBHOOK_URL");
  const secret = read("AOS_WEBHOOK_SECRET");
  const rawEvents = read("AOS_WEBHOOK_EVENTS") ?? "run.finished";
  const events = new Set<WebhookEvent>();
  for (
    const name of rawEvents.split(",").map((s) => s.trim()).filter(Boolean)
  ) {
    if (name === "run.finished") FINISHED.forEach((e) => events.add(e));
    else if ((ALL as readonly string[]).includes(name)) {
      events.add(name as WebhookEvent);
    } else {
      issues.push([
        "AOS_WEBHOOK_EVENTS",
        `Unknown event '${name.slice(0, 50)}' (use ${
          [...ALL, "run.finished"].join(", ")
        })`,
      ]);
    }
  }
  const allowRaw = (read("AOS_WEBHOOK_ALLOW_PRIVATE") ?? "false").toLowerCase();
  const allowPrivate = ["1", "true", "yes", "on"].includes(allowRaw);
  if (!allowPrivate && !["0", "false", "no", "off"].includes(allowRaw)) {
    issues.push([
      "AOS_WEBHOOK_ALLOW_PRIVATE",
      `Must be 'true' or 'false', got '${allowRaw.slice(0, 20)}'`,
    ]);
  }
  const retryRaw = read("AOS_WEBHOOK_RETRY_FOR_S") ?? "86400";
  const retryForS = /^\d+$/.test(retryRaw) ? Number(retryRaw) : NaN;
  if (!(retryForS >= 0 && retryForS <= 7 * 86400)) {
    issues.push([
      "AOS_WEBHOOK_RETRY_FOR_S",
      `Must be an integer from 0 to 604800, got '${retryRaw.slice(0, 20)}'`,
    ]);
  }
  if (url === null) {
    if (secret !== null) {
      issues.push([
        "AOS_WEBHOOK_URL",
        "Required when AOS_WEBHOOK_SECRET is set",
      ]);
    }
    return { webhook: null, issues };
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch { /* reported below */ }
  if (
    !parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")
  ) {
    issues.push([
      "AOS_WEBHOOK_URL",
      `Must be an http(s) URL, got '${
        url.replace(/\/\/[^/@]*@/, "//***@").slice(0, 200)
      }'`,
    ]);
  } else if (parsed.username || parsed.password) {
    issues.push(["AOS_WEBHOOK_URL", "Must not contain credentials"]);
  }
  if (secret === null) {
    issues.push([
      "AOS_WEBHOOK_SECRET",
      "Required when AOS_WEBHOOK_URL is set (every delivery is signed with it)",
    ]);
  } else if (secret.length < 16) {
    issues.push(["AOS_WEBHOOK_SECRET", "Must be at least 16 characters"]);
  }
  if (issues.length > 0 || secret === null) return { webhook: null, issues };
  return {
    webhook: {
      url,
      secret,
      events,
      allowPrivate,
      retryForMs: retryForS * 1000,
    },
    issues,
  };
}
