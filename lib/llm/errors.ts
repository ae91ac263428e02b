/** What can go wrong talking to a model, and how an API failure is classified. */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "openai";
import type { TokenUsage } from "./usage.ts";

/** What went wrong talking to the model. */
export type ModelErrorKind =
  | "auth"
  | "quota"
  | "rate_limited"
  | "server"
  | "timeout"
  | "bad_response"
  | "context_length"
  | "cancelled"
  | "config"
  | "budget"
  /** The model answered, but never with a usable tool call (it may not support tool calling). */
  | "no_tool_call";

/** A failure of the model API or of the model's behaviour; never carries the API key. */
export class ModelError extends Error {
  override name = "ModelError";
  /** What went wrong. */
  readonly kind: ModelErrorKind;
  /** Whether asking again could help. */
  readonly retryable: boolean;
  /** How long the server asked us to wait before asking again (Retry-After), if it said. */
  readonly retryAfterMs: number | null;
  /** Why, in a few words, for a retry's log line ("connection refused", "HTTP 503"). */
  readonly reason: string | null;
  /** Set by an agent loop that failed midway: what it had used and said so far. */
  partial?: {
    usage: TokenUsage;
    transcript: unknown;
    /** Events of the loop up to the failure, for the run's log. */
    events?: {
      kind: string;
      level: string;
      payload: Record<string, unknown>;
    }[];
  };

  constructor(
    kind: ModelErrorKind,
    message: string,
    opts: {
      retryable?: boolean;
      retryAfterMs?: number | null;
      cause?: unknown;
      reason?: string | null;
    } = {},
  ) {
    super(
      message,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.kind = kind;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.reason = opts.reason ?? null;
  }
}

/** The ModelError of a request aborted by its signal. */
export function cancelledError(): ModelError {
  return new ModelError("cancelled", "Model request was cancelled");
}

/** OpenAI error codes that no retry can fix (billing, not load). */
const PERMANENT_429_CODES = new Set([
  "insufficient_quota",
  "billing_hard_limit_reached",
  "billing_not_active",
  "access_terminated",
]);

/** Messages of servers that reject an over-long prompt without OpenAI's error code. */
const CONTEXT_MESSAGE =
  /context[ _-]?length|context window|maximum context|too many tokens|prompt is too long|input is too long/i;

/** Where a failed request was sent, for the message. */
export interface RequestTarget {
  model: string;
  /** Origin of the endpoint, without credentials or path. */
  origin: string;
  /** The base URL without credentials (what OPENAI_BASE_URL says). */
  endpoint: string;
  timeoutMs: number;
}

/**
 * Turns whatever the openai client threw into a ModelError saying whether a
 * retry could help; `after` says how many attempts were made. Messages go
 * through `scrub` so no key or URL credential leaks.
 */
export function classifyError(
  error: unknown,
  target: RequestTarget,
  opts: {
    aborted: boolean;
    attempt: number;
    scrub: (s: string) => string;
    /** The time Retry-After dates are measured from. */
    now: number;
  },
): ModelError {
  const after = `after ${opts.attempt} attempt${opts.attempt === 1 ? "" : "s"}`;
  const scrub = opts.scrub;
  if (opts.aborted || error instanceof APIUserAbortError) {
    return cancelledError();
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError(
      "timeout",
      `Model API did not answer within ${target.timeoutMs} ms (${after})`,
      { retryable: true, reason: "timed out" },
    );
  }
  if (error instanceof APIConnectionError) {
    const reason = connectionReason(error);
    return new ModelError(
      "server",
      scrub(
        `Could not reach the model API at ${target.endpoint} (OPENAI_BASE_URL) ${after}: ${reason}`,
      ),
      { retryable: true, reason: shortReason(reason) },
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    return classifyStatus(error, error.status, target, after, scrub, opts.now);
  }
  const reason = error instanceof SyntaxError
    ? "body is not JSON"
    : error instanceof Error
    ? error.message
    : String(error);
  return new ModelError(
    "bad_response",
    scrub(`Model reply is not valid: ${reason}`),
  );
}

/** The innermost message of a connection failure (fetch wraps the socket's error), shortened to its class where it is a common one. */
export function connectionReason(error: Error): string {
  let reason = error.message;
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    reason = cause.message || reason;
    cause = cause.cause;
  }
  return shortReason(reason);
}

/** A connection failure in two or three words, where it is a common one. */
function shortReason(reason: string): string {
  if (/connection refused|ECONNREFUSED/i.test(reason)) {
    return "connection refused";
  }
  if (
    /dns|name resolution|failed to lookup|ENOTFOUND|Name or service not known/i
      .test(reason)
  ) return "host not found";
  if (/connection reset|ECONNRESET/i.test(reason)) return "connection reset";
  if (/certificate|\btls\b|\bssl\b|handshake/i.test(reason)) {
    return `TLS: ${reason.slice(0, 100)}`;
  }
  if (/timed out|ETIMEDOUT/i.test(reason)) return "connect timed out";
  return reason.slice(0, 120);
}

function classifyStatus(
  error: APIError,
  status: number,
  target: RequestTarget,
  after: string,
  scrub: (s: string) => string,
  now: number,
): ModelError {
  const detail = apiErrorDetail(error);
  const code = apiErrorCode(error);
  const retryAfterMs = error.headers ? retryAfter(error.headers, now) : null;
  if (status === 401 || status === 403) {
    return new ModelError(
      "auth",
      scrub(`Model API rejected the API key with HTTP ${status}${detail}`),
    );
  }
  if (status === 429 && code !== null && PERMANENT_429_CODES.has(code)) {
    return new ModelError(
      "quota",
      scrub(
        `Model API refused the request with HTTP 429 ${code} (not retried: this is the account's quota or billing, not load)${detail}`,
      ),
    );
  }
  if (status === 429) {
    return new ModelError(
      "rate_limited",
      scrub(`Model API returned HTTP 429 ${after}${detail}`),
      { retryable: true, retryAfterMs, reason: "HTTP 429" },
    );
  }
  if (
    code === "context_length_exceeded" ||
    (status === 400 || status === 413) && CONTEXT_MESSAGE.test(detail)
  ) {
    return new ModelError(
      "context_length",
      scrub(
        `Model '${target.model}' refused the request as longer than its context window (HTTP ${status})${detail}`,
      ),
    );
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new ModelError(
      "server",
      scrub(`Model API returned HTTP ${status} ${after}${detail}`),
      { retryable: true, retryAfterMs, reason: `HTTP ${status}` },
    );
  }
  if (status === 404) {
    return new ModelError(
      "config",
      scrub(
        `Model API returned HTTP 404 for model '${target.model}' at '${target.origin}'${detail}`,
      ),
    );
  }
  return new ModelError(
    "bad_response",
    scrub(`Model API returned HTTP ${status}${detail}`),
  );
}

/** The error message the API sent, if any, as `: message` (short). */
function apiErrorDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === "string" ? body.message : null;
  return message ? `: ${message.slice(0, 300)}` : "";
}

/** The API's machine-readable error code (`error.code`, else `error.type`). */
function apiErrorCode(error: APIError): string | null {
  const body = (error.error ?? {}) as { code?: unknown; type?: unknown };
  if (typeof body.code === "string" && body.code) return body.code;
  if (typeof error.code === "string" && error.code) return error.code;
  if (typeof body.type === "string" && body.type) return body.type;
  return null;
}

/**
 * How long a response asks the client to wait, in ms: `retry-after-ms`
 * (OpenAI, Azure), else `Retry-After` as seconds or an HTTP date; null when
 * absent or unreadable.
 */
export function retryAfter(
  headers: Headers,
  now: number = Date.now(),
): number | null {
  const msHeader = headers.get("retry-after-ms");
  if (msHeader !== null && msHeader.trim() !== "") {
    const ms = Number(msHeader);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  const value = headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
