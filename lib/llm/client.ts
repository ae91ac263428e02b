/**
 * The model client: OpenAI Chat Completions with function tools, against
 * OpenAI or any OpenAI-compatible endpoint, with our own retry loop.
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "openai";

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

/** Token counts of one or more exchanges. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What went wrong talking to the model. */
export type ModelErrorKind =
  | "auth"
  | "rate_limited"
  | "server"
  | "timeout"
  | "bad_response"
  | "cancelled"
  | "config"
  | "budget";

/** A failure of the model API or of the model's behaviour; never carries the API key. */
export class ModelError extends Error {
  override name = "ModelError";
  /** What went wrong. */
  readonly kind: ModelErrorKind;
  /** Whether asking again could help. */
  readonly retryable: boolean;
  /** Set by an agent loop that failed midway: what it had used and said so far. */
  partial?: { usage: TokenUsage; transcript: unknown };

  constructor(
    kind: ModelErrorKind,
    message: string,
    opts: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(
      message,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.kind = kind;
    this.retryable = opts.retryable ?? false;
  }
}

/** Options of `ModelClient`. */
export interface ModelClientOptions {
  apiKey: string | null;
  baseUrl?: string | null;
  model: string;
  /** Per request, default 120000. */
  timeoutMs?: number;
  /** Retries after the first attempt, default 3. */
  maxRetries?: number;
  /** First backoff delay, default 500. */
  retryBaseMs?: number;
}

/** One chat request. */
export interface ChatRequest {
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  toolChoice?: "auto" | "required";
  signal?: AbortSignal;
}

/** One chat reply. */
export interface ChatReply {
  message: ChatCompletionMessage;
  usage: TokenUsage;
  finishReason: string | null;
}

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
const MAX_BACKOFF_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;

/** Talks to one model; retries transient failures with exponential backoff and jitter. */
export class ModelClient {
  /** The model name sent with every request. */
  readonly model: string;
  readonly #apiKey: string | null;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  #openai: OpenAI | null = null;

  constructor(opts: ModelClientOptions) {
    this.model = opts.model;
    this.#apiKey = opts.apiKey ? opts.apiKey : null;
    this.#baseUrl = opts.baseUrl ? opts.baseUrl : DEFAULT_BASE_URL;
    this.#timeoutMs = opts.timeoutMs ?? 120_000;
    this.#maxRetries = Math.max(0, opts.maxRetries ?? 3);
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
  }

  /** Sends one chat completion request; throws `ModelError` on failure. */
  async chat(req: ChatRequest): Promise<ChatReply> {
    const openai = this.#client();
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming =
      {
        model: this.model,
        messages: req.messages,
      };
    if (req.tools.length > 0) {
      body.tools = req.tools;
      body.tool_choice = req.toolChoice ?? "auto";
    }
    const attempts = this.#maxRetries + 1;
    for (let attempt = 1;; attempt++) {
      if (req.signal?.aborted) throw cancelled();
      let failure: ModelError;
      let retryAfterMs: number | null = null;
      try {
        const completion: unknown = await openai.chat.completions.create(body, {
          timeout: this.#timeoutMs,
          maxRetries: 0,
          ...(req.signal ? { signal: req.signal } : {}),
        });
        return parseCompletion(completion);
      } catch (error) {
        if (error instanceof ModelError) throw error;
        failure = this.#classify(error, req.signal, attempt);
        if (error instanceof APIError && error.headers) {
          retryAfterMs = retryAfter(error.headers);
        }
      }
      if (!failure.retryable || attempt >= attempts) throw failure;
      const backoff = Math.min(
        MAX_BACKOFF_MS,
        this.#retryBaseMs * 2 ** (attempt - 1),
      );
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const wait = retryAfterMs !== null && retryAfterMs <= MAX_RETRY_AFTER_MS
        ? retryAfterMs
        : jittered;
      await sleep(wait, req.signal);
    }
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
    });
    return this.#openai;
  }

  /** Turns whatever the openai client threw into a ModelError; the final one says how many attempts. */
  #classify(
    error: unknown,
    signal: AbortSignal | undefined,
    attempt: number,
  ): ModelError {
    const after = `after ${attempt} attempt${attempt === 1 ? "" : "s"}`;
    const scrub = (s: string) => this.#scrub(s);
    if (signal?.aborted || error instanceof APIUserAbortError) {
      return cancelled();
    }
    if (error instanceof APIConnectionTimeoutError) {
      return new ModelError(
        "timeout",
        `Model API did not answer within ${this.#timeoutMs} ms (${after})`,
        { retryable: true },
      );
    }
    if (error instanceof APIConnectionError) {
      const reason = error.cause instanceof Error
        ? error.cause.message
        : error.message;
      return new ModelError(
        "server",
        scrub(
          `Could not reach the model API at '${
            safeOrigin(this.#baseUrl)
          }' ${after}: ${reason}`,
        ),
        { retryable: true },
      );
    }
    if (error instanceof APIError && typeof error.status === "number") {
      const status = error.status;
      const detail = apiErrorDetail(error);
      if (status === 401 || status === 403) {
        return new ModelError(
          "auth",
          scrub(`Model API rejected the API key with HTTP ${status}${detail}`),
        );
      }
      if (status === 429) {
        return new ModelError(
          "rate_limited",
          scrub(`Model API returned HTTP 429 ${after}${detail}`),
          {
            retryable: true,
          },
        );
      }
      if (status >= 500 || status === 408 || status === 409) {
        return new ModelError(
          "server",
          scrub(`Model API returned HTTP ${status} ${after}${detail}`),
          {
            retryable: true,
          },
        );
      }
      if (status === 404) {
        return new ModelError(
          "config",
          scrub(
            `Model API returned HTTP 404 for model '${this.model}' at '${
              safeOrigin(this.#baseUrl)
            }'${detail}`,
          ),
        );
      }
      return new ModelError(
        "bad_response",
        scrub(`Model API returned HTTP ${status}${detail}`),
      );
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

  /** Removes the API key and any credentials embedded in URLs. */
  #scrub(s: string): string {
    // A key too short to be real (tests, local servers) would mangle ordinary words.
    const key = this.#apiKey && this.#apiKey.length >= 8 ? this.#apiKey : null;
    const keyless = key ? s.split(key).join("[REDACTED]") : s;
    return keyless.replace(/\/\/[^/@\s]+@/g, "//[REDACTED]@");
  }
}

function cancelled(): ModelError {
  return new ModelError("cancelled", "Model request was cancelled");
}

/** The error message the API sent, if any, as `: message` (short). */
function apiErrorDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === "string" ? body.message : null;
  return message ? `: ${message.slice(0, 300)}` : "";
}

/** Scheme, host and port of a URL, without credentials or path. */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** Retry-After (seconds or HTTP date) or retry-after-ms, in ms; null when absent or unreadable. */
function retryAfter(headers: Headers): number | null {
  const ms = Number(headers.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** Waits `ms`, or rejects with a cancelled ModelError as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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

function readUsage(usage: unknown): TokenUsage {
  const u =
    (typeof usage === "object" && usage !== null ? usage : {}) as Record<
      string,
      unknown
    >;
  const num = (
    v: unknown,
  ) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  const prompt = num(u.prompt_tokens);
  const completion = num(u.completion_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: num(u.total_tokens) || prompt + completion,
  };
}

/** Sum of two usages. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** A usage of zero tokens. */
export function emptyUsage(): TokenUsage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

/** USD per million tokens [input, output]; longest matching prefix wins. */
const PRICES: [prefix: string, input: number, output: number][] = [
  ["gpt-5-nano", 0.05, 0.4],
  ["gpt-5-mini", 0.25, 2],
  ["gpt-5", 1.25, 10],
  ["gpt-4.1-nano", 0.1, 0.4],
  ["gpt-4.1-mini", 0.4, 1.6],
  ["gpt-4.1", 2, 8],
  ["gpt-4o-mini", 0.15, 0.6],
  ["gpt-4o", 2.5, 10],
  ["o4-mini", 1.1, 4.4],
  ["o3-mini", 1.1, 4.4],
  ["o3", 2, 8],
];

/** Estimated cost in USD of `usage` on `model`; 0 for a model not in the price table. */
export function estimateCostUsd(
  model: string,
  usage: { prompt_tokens: number; completion_tokens: number },
): number {
  const name = model.toLowerCase().replace(/^openai\//, "");
  const match =
    PRICES.filter(([prefix]) =>
      name === prefix || name.startsWith(`${prefix}-`)
    )
      .sort((a, b) => b[0].length - a[0].length)[0];
  if (!match) return 0;
  const [, input, output] = match;
  return (usage.prompt_tokens * input + usage.completion_tokens * output) /
    1_000_000;
}
