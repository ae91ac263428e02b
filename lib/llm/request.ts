/**
 * One attempt of a chat completion request: streamed (so a reply that takes
 * minutes on a CPU is never cut by a proxy or a read timeout, and progress
 * can be shown while it comes) or plain, under one overall timeout, with a
 * heartbeat to an observer while it is in flight.
 */
import type OpenAI from "openai";
import { readCompletionResponse, type StreamProgress } from "./stream.ts";

/** What a watcher of a model call is told. */
export interface ModelObserver {
  /** A failed attempt will be retried after `waitMs`. */
  retry?(info: ModelRetryInfo): void;
  /** Every heartbeat interval while a request is in flight. */
  progress?(info: ModelProgressInfo): void;
}

/** A retry about to happen. */
export interface ModelRetryInfo {
  /** The attempt that comes next (2 for the first retry). */
  attempt: number;
  waitMs: number;
  /** Why the last attempt failed, in a few words ("connection refused", "HTTP 503"). */
  reason: string;
  /** The endpoint asked (OPENAI_BASE_URL without credentials). */
  endpoint?: string;
}

/** A request in flight. */
export interface ModelProgressInfo {
  attempt: number;
  elapsedMs: number;
  /**
   * `waiting`: no answer from the server yet (connecting, or a request that is
   * not streamed); `prompt`: the stream is open, the model is still reading
   * the prompt (minutes on a CPU); `replying`: the reply is arriving.
   */
  phase: "waiting" | "prompt" | "replying";
  /** Characters of the reply received so far. */
  chars: number;
  /** Output tokens so far, estimated from the characters (about 4 a token). */
  tokens: number;
}

/** Options of one attempt. */
export interface AttemptOptions {
  stream: boolean;
  timeoutMs: number;
  attempt: number;
  signal?: AbortSignal | undefined;
  observer?: ModelObserver | undefined;
  heartbeatMs: number;
}

/** The attempt ran out of time (AOS_MODEL_TIMEOUT_S). */
export class AttemptTimeout extends Error {
  override name = "AttemptTimeout";
}

/**
 * Sends `body` once and returns the completion object as received (parsed
 * JSON, or the stream read into the same shape). Throws what the openai
 * client throws, or `AttemptTimeout`.
 */
export async function sendAttempt(
  openai: OpenAI,
  body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
  opts: AttemptOptions,
): Promise<unknown> {
  // One controller that both the caller's signal and the timeout abort
  // (held by the timer, so it lives as long as the request; a signal from
  // AbortSignal.any may be collected mid-request and never fire).
  const controller = new AbortController();
  const signal = controller.signal;
  const cancel = () => controller.abort();
  if (opts.signal?.aborted) cancel();
  opts.signal?.addEventListener("abort", cancel, { once: true });
  let timedOut = false;
  const timeout = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const started = Date.now();
  const seen: StreamProgress = { chars: 0, chunks: 0 };
  let open = false;
  const beat = opts.observer?.progress
    ? setInterval(() => {
      opts.observer?.progress?.({
        attempt: opts.attempt,
        elapsedMs: Date.now() - started,
        phase: seen.chars > 0 ? "replying" : open ? "prompt" : "waiting",
        chars: seen.chars,
        tokens: Math.ceil(seen.chars / 4),
      });
    }, opts.heartbeatMs)
    : undefined;
  // The client's own timeout is a backstop: ours fires first and is told apart.
  const requestOptions = {
    timeout: opts.timeoutMs + 60_000,
    maxRetries: 0,
    signal,
  };
  try {
    if (!opts.stream) {
      return await openai.chat.completions.create(body, requestOptions);
    }
    const response = await openai.chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    }, requestOptions).asResponse();
    open = true;
    return await readCompletionResponse(response, (progress) => {
      seen.chars = progress.chars;
      seen.chunks = progress.chunks;
    }, signal);
  } catch (error) {
    if (timedOut) {
      throw new AttemptTimeout(`no complete reply within ${opts.timeoutMs} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timeout);
    opts.signal?.removeEventListener("abort", cancel);
    if (beat !== undefined) clearInterval(beat);
  }
}
