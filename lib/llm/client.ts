/**
 * The model client: OpenAI Chat Completions with function tools, against
 * OpenAI or any OpenAI-compatible endpoint, with our own retry loop (the SDK's
 * is off): transient failures are retried within a time window, honouring
 * the server's Retry-After; permanent ones fail at once.
 */
import OpenAI from "openai";
import {
  cancelledError,
  classifyError,
  ModelError,
  type ModelErrorKind,
  type RequestTarget,
} from "./errors.ts";
import { readUsage, type TokenUsage } from "./usage.ts";
import {
  boundedFetch,
  DEFAULT_MAX_REPLY_BYTES,
  ReplyTooLargeError,
} from "./bounded_fetch.ts";
import { AttemptTimeout, type ModelObserver, sendAttempt } from "./request.ts";

export { ModelError, type ModelErrorKind, retryAfter } from "./errors.ts";
export type {
  ModelObserver,
  ModelProgressInfo,
  ModelRetryInfo,
} from "./request.ts";
export {
  addUsage,
  emptyUsage,
  estimateCostUsd,
  readUsage,
  type TokenUsage,
} from "./usage.ts";

/** A chat message as sent to the model. */
export type ChatCompletionMessageParam =
  OpenAI.Chat.Completions.ChatCompletionMessageParam;
/** A tool offered to the model. */
export type ChatCompletionTool = OpenAI.Chat.Completions.ChatCompletionTool;
/** The assistant message the model replied with. */
export type ChatCompletionMessage =
  OpenAI.Chat.Completions.ChatCompletionMessage;
/** Alias of `ChatCompletionMessageParam`. */
export type ChatMessage = ChatCompletionMessageParam;

/** Where the client reads the time and waits; tests pass a fake one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, rejects with a cancelled ModelError once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Which request field carries the output-token cap. */
export type OutputTokenParam = "auto" | "max_completion_tokens" | "max_tokens";

/** Options of `ModelClient`. */
export interface ModelClientOptions {
  apiKey: string | null;
  baseUrl?: string | null;
  model: string;
  /** Per request, default 600000 (AOS_MODEL_TIMEOUT_S). */
  timeoutMs?: number;
  /** Retries after the first attempt, default 10. */
  maxRetries?: number;
  /** First backoff delay, default 500 (doubling, at most 60 s). */
  retryBaseMs?: number;
  /** Total time retries may wait, Retry-After included; default 10 minutes. */
  retryWindowMs?: number;
  /** Output-token cap sent with every request; default 16384, null sends none. */
  maxOutputTokens?: number | null;
  /**
   * The model's context window in tokens. The output cap is held to a quarter
   * of it, so a small window (8192) still leaves room for the prompt.
   */
  contextTokens?: number | null;
  /**
   * `auto`: `max_completion_tokens` for OpenAI's own API and reasoning models
   * (which reject `max_tokens`), `max_tokens` for other endpoints.
   */
  outputTokenParam?: OutputTokenParam;
  /** Sent as `reasoning_effort` when set (reasoning models only accept it). */
  reasoningEffort?: string | null;
  /** Most bytes of one reply read; a larger one fails the request (default 4 MiB). */
  maxReplyBytes?: number;
  /**
   * Stream replies (default true): a long reply is read as it comes, and a
   * watcher sees its progress. A server that refuses streaming is asked
   * again without.
   */
  stream?: boolean;
  /** How often an observer hears of a request in flight, default 10000 ms. */
  heartbeatMs?: number;
  /** Hears of every `chat` call as it ends: what it cost, took and ran into (metrics, traces). */
  onCall?: (call: ModelCall) => void;
  clock?: Clock;
}

/** One `chat` call as it ended, retries included. */
export interface ModelCall {
  model: string;
  /** When the call started and how long it took, in ms. */
  startedAt: number;
  durationMs: number;
  /** The reply's usage, or null when the call failed. */
  usage: TokenUsage | null;
  /** Why it failed, or null. */
  errorKind: ModelErrorKind | null;
  /** The kind of each failed attempt that was retried. */
  retries: ModelErrorKind[];
}

/** One chat request. */
export interface ChatRequest {
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  toolChoice?: "auto" | "required";
  /** Sampling temperature; unset leaves the endpoint's default. */
  temperature?: number;
  signal?: AbortSignal;
  /** Hears of retries and of the request's progress while it is in flight. */
  observer?: ModelObserver;
}

/** One chat reply. */
export interface ChatReply {
  message: ChatCompletionMessage;
  usage: TokenUsage;
  finishReason: string | null;
}

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
const MAX_BACKOFF_MS = 60_000;
/**
 * Retries after a refused connection or an unknown host: a server that is
 * starting gets about half a minute; a wrong URL is reported without minutes of waiting.
 */
const MAX_CONNECT_RETRIES = 5;
/** Models that take `max_completion_tokens` only (o-series, gpt-5). */
const REASONING_MODEL = /^(openai\/)?(o\d|gpt-5)/i;

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelledError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/** Talks to one model; retries transient failures with backoff, Retry-After first. */
export class ModelClient {
  /** The model name sent with every request. */
  readonly model: string;
  /** The output-token cap sent with every request, or null. */
  readonly maxOutputTokens: number | null;
  /** The endpoint's base URL without credentials, query or fragment (for messages). */
  readonly endpoint: string;
  readonly #apiKey: string | null;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #retryWindowMs: number;
  readonly #outputTokenParam: "max_completion_tokens" | "max_tokens";
  readonly #reasoningEffort: string | null;
  readonly #clock: Clock;
  readonly #maxReplyBytes: number;
  readonly #heartbeatMs: number;
  readonly #onCall: ((call: ModelCall) => void) | null;
  #stream: boolean;
  #openai: OpenAI | null = null;

  constructor(opts: ModelClientOptions) {
    this.model = opts.model;
    this.#apiKey = opts.apiKey ? opts.apiKey : null;
    this.#baseUrl = opts.baseUrl ? opts.baseUrl : DEFAULT_BASE_URL;
    this.#timeoutMs = opts.timeoutMs ?? 600_000;
    this.#maxRetries = Math.max(0, opts.maxRetries ?? 10);
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
    this.#retryWindowMs = opts.retryWindowMs ?? 600_000;
    const configured = opts.maxOutputTokens === undefined
      ? 16_384
      : opts.maxOutputTokens;
    const cap = configured && configured > 0 && opts.contextTokens
      ? Math.min(configured, Math.floor(opts.contextTokens / 4))
      : configured;
    this.maxOutputTokens = cap && cap > 0 ? cap : null;
    this.endpoint = safeUrl(this.#baseUrl);
    const param = opts.outputTokenParam ?? "auto";
    this.#outputTokenParam = param !== "auto"
      ? param
      : REASONING_MODEL.test(this.model) ||
          safeOrigin(this.#baseUrl) === "https://api.openai.com"
      ? "max_completion_tokens"
      : "max_tokens";
    this.#reasoningEffort = opts.reasoningEffort || null;
    this.#clock = opts.clock ?? systemClock;
    this.#maxReplyBytes = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.#stream = opts.stream ?? true;
    this.#heartbeatMs = Math.max(10, opts.heartbeatMs ?? 10_000);
    this.#onCall = opts.onCall ?? null;
  }

  /** Sends one chat completion request; throws `ModelError` on failure. */
  async chat(req: ChatRequest): Promise<ChatReply> {
    const onCall = this.#onCall;
    if (!onCall) return await this.#chat(req, []);
    const startedAt = Date.now();
    const retries: ModelErrorKind[] = [];
    const report = (
      usage: TokenUsage | null,
      errorKind: ModelErrorKind | null,
    ) => {
      try {
        onCall({
          model: this.model,
          startedAt,
          durationMs: Date.now() - startedAt,
          usage,
          errorKind,
          retries,
        });
      } catch {
        // Observing a call never fails it.
      }
    };
    try {
      const reply = await this.#chat(req, retries);
      report(reply.usage, null);
      return reply;
    } catch (error) {
      report(null, error instanceof ModelError ? error.kind : "bad_response");
      throw error;
    }
  }

  async #chat(
    req: ChatRequest,
    retries: ModelErrorKind[],
  ): Promise<ChatReply> {
    const openai = this.#client();
    const body = this.#body(req);
    const target: RequestTarget = {
      model: this.model,
      origin: safeOrigin(this.#baseUrl),
      endpoint: this.endpoint,
      timeoutMs: this.#timeoutMs,
    };
    const deadline = this.#clock.now() + this.#retryWindowMs;
    let connectFailures = 0;
    for (let attempt = 1;; attempt++) {
      if (req.signal?.aborted) throw cancelledError();
      let failure: ModelError;
      try {
        const completion = await sendAttempt(openai, body, {
          stream: this.#stream,
          timeoutMs: this.#timeoutMs,
          attempt,
          signal: req.signal,
          observer: req.observer,
          heartbeatMs: this.#heartbeatMs,
        });
        return parseCompletion(completion);
      } catch (error) {
        if (req.signal?.aborted) throw cancelledError();
        if (error instanceof ModelError && !error.retryable) throw error;
        if (error instanceof ReplyTooLargeError) {
          throw new ModelError(
            "bad_response",
            `Model reply from '${target.origin}' refused: ${error.message}`,
            { cause: error },
          );
        }
        failure = error instanceof ModelError
          ? error
          : error instanceof AttemptTimeout
          ? new ModelError(
            "timeout",
            `Model '${this.model}' at ${this.endpoint} did not finish its reply within ${
              this.#timeoutMs >= 1000
                ? `${Math.round(this.#timeoutMs / 1000)} s`
                : `${this.#timeoutMs} ms`
            } (AOS_MODEL_TIMEOUT_S) after ${attempt} attempt${
              attempt === 1 ? "" : "s"
            }`,
            { retryable: true, reason: "timed out" },
          )
          : classifyError(error, target, {
            aborted: false,
            attempt,
            scrub: (s) => this.#scrub(s),
            now: this.#clock.now(),
          });
      }
      if (this.#stream && refusesStreaming(failure)) {
        // Asked again at once without streaming; not a retry of a failure.
        this.#stream = false;
        attempt--;
        continue;
      }
      if (
        failure.reason === "connection refused" ||
        failure.reason === "host not found"
      ) {
        connectFailures++;
      }
      if (
        !failure.retryable || attempt > this.#maxRetries ||
        connectFailures > MAX_CONNECT_RETRIES
      ) throw failure;
      const backoff = Math.min(
        MAX_BACKOFF_MS,
        this.#retryBaseMs * 2 ** (attempt - 1),
      );
      const wait = failure.retryAfterMs ??
        backoff / 2 + Math.random() * (backoff / 2);
      const left = deadline - this.#clock.now();
      if (wait > left) {
        throw new ModelError(
          failure.kind,
          `${failure.message}; giving up: waiting ${
            Math.ceil(wait / 1000)
          } s more would pass the retry window of ${
            Math.round(this.#retryWindowMs / 1000)
          } s (AOS_MODEL_RETRY_WINDOW_S)`,
          { reason: failure.reason },
        );
      }
      retries.push(failure.kind);
      req.observer?.retry?.({
        attempt: attempt + 1,
        waitMs: wait,
        reason: failure.reason ?? failure.kind,
        endpoint: this.endpoint,
      });
      await this.#clock.sleep(wait, req.signal);
    }
  }

  #body(
    req: ChatRequest,
  ): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming {
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming =
      { model: this.model, messages: req.messages };
    if (req.tools.length > 0) {
      body.tools = req.tools;
      body.tool_choice = req.toolChoice ?? "auto";
    }
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (this.maxOutputTokens !== null) {
      body[this.#outputTokenParam] = this.maxOutputTokens;
    }
    if (this.#reasoningEffort) {
      // Any string the endpoint accepts (OpenAI: minimal, low, medium, high…).
      body.reasoning_effort = this.#reasoningEffort as OpenAI.ReasoningEffort;
    }
    return body;
  }

  #client(): OpenAI {
    if (!this.#apiKey) {
      throw new ModelError(
        "config",
        "Model API key is missing: set OPENAI_API_KEY",
      );
    }
    this.#openai ??= new OpenAI({
      apiKey: this.#apiKey,
      baseURL: this.#baseUrl,
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: this.#timeoutMs,
      fetch: boundedFetch(this.#maxReplyBytes),
    });
    return this.#openai;
  }

  /** Removes the API key and any credentials embedded in URLs. */
  #scrub(s: string): string {
    // A key too short to be real (tests, local servers) would mangle ordinary words.
    const key = this.#apiKey && this.#apiKey.length >= 8 ? this.#apiKey : null;
    const keyless = key ? s.split(key).join("[REDACTED]") : s;
    return keyless.replace(/\/\/[^/@\s]+@/g, "//[REDACTED]@");
  }
}

/** Whether an endpoint said it does not do `stream: true` (some OpenAI-compatible servers). */
function refusesStreaming(failure: ModelError): boolean {
  return (failure.kind === "bad_response" || failure.kind === "config") &&
    /\bstream/i.test(failure.message) && !/mid-stream/.test(failure.message);
}

/** A URL without credentials, query or fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Scheme, host and port of a URL, without credentials or path. */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** Checks the shape of a chat completion and extracts what the agents need. */
function parseCompletion(completion: unknown): ChatReply {
  if (typeof completion !== "object" || completion === null) {
    const text = typeof completion === "string"
      ? `'${completion.slice(0, 80)}'`
      : String(completion);
    throw new ModelError(
      "bad_response",
      `Model reply is not valid: expected a chat completion, got ${text}`,
    );
  }
  const { choices, usage } = completion as {
    choices?: unknown;
    usage?: unknown;
  };
  const first = Array.isArray(choices)
    ? choices[0] as { message?: unknown; finish_reason?: unknown }
    : undefined;
  if (!first || typeof first.message !== "object" || first.message === null) {
    throw new ModelError(
      "bad_response",
      "Model reply is not valid: it has no choices[0].message",
    );
  }
  return {
    message: first.message as ChatCompletionMessage,
    usage: readUsage(usage),
    finishReason: typeof first.finish_reason === "string"
      ? first.finish_reason
      : null,
  };
}
