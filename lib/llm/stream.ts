/**
 * A streamed chat completion (`stream: true`, Server-Sent Events) read into
 * the shape of a whole one: content, reasoning and tool-call deltas are
 * accumulated per index, usage is taken from the final chunk
 * (`stream_options.include_usage`). A server that answers a streamed request
 * with a plain JSON completion is read as that.
 */
import { ModelError } from "./errors.ts";

/** How far a streamed reply has come. */
export interface StreamProgress {
  /** Characters of content, reasoning and tool-call arguments received. */
  chars: number;
  /** Chunks received. */
  chunks: number;
}

interface ToolCallAcc {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** Longest reply kept (the output cap ends a real reply long before). */
const MAX_REPLY_CHARS = 8_000_000;

/**
 * Reads `response` (SSE or JSON) into a chat completion object; `onChunk`
 * sees the progress. Once `signal` aborts, the body is cancelled and the
 * read fails, whatever the fetch that made it does with its own signal.
 */
export async function readCompletionResponse(
  response: Response,
  onChunk: (progress: StreamProgress) => void,
  signal?: AbortSignal,
): Promise<unknown> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new ModelError(
        "bad_response",
        `Model reply is not valid: body is not JSON (content-type '${
          type.slice(0, 60)
        }')`,
      );
    }
  }
  if (!response.body) {
    throw new ModelError("bad_response", "Model reply is not valid: no body");
  }
  const acc = {
    id: "",
    model: "",
    content: "",
    reasoning: "",
    refusal: null as string | null,
    toolCalls: [] as ToolCallAcc[],
    finishReason: null as string | null,
    usage: undefined as unknown,
    chunks: 0,
    chars: 0,
  };
  for await (const data of sseData(response.body, signal)) {
    if (data === "[DONE]") break;
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new ModelError(
        "bad_response",
        `Model reply is not valid: a stream event is not JSON: '${
          data.slice(0, 80)
        }'`,
      );
    }
    if (chunk.error) {
      const error = chunk.error as { message?: unknown };
      throw new ModelError(
        "server",
        `Model API sent an error mid-stream: ${
          String(error.message ?? JSON.stringify(chunk.error)).slice(0, 300)
        }`,
        { retryable: true },
      );
    }
    fold(acc, chunk);
    if (acc.chars > MAX_REPLY_CHARS) {
      throw new ModelError(
        "bad_response",
        `Model reply is not valid: more than ${MAX_REPLY_CHARS} characters streamed`,
      );
    }
    onChunk({ chars: acc.chars, chunks: acc.chunks });
  }
  if (acc.chunks === 0) {
    throw new ModelError(
      "bad_response",
      "Model reply is not valid: the stream ended without a chunk",
    );
  }
  const toolCalls = acc.toolCalls.filter(Boolean);
  return {
    id: acc.id,
    object: "chat.completion",
    model: acc.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: acc.content === "" && toolCalls.length > 0
          ? null
          : acc.content,
        refusal: acc.refusal,
        ...(acc.reasoning ? { reasoning_content: acc.reasoning } : {}),
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: acc.finishReason,
    }],
    ...(acc.usage ? { usage: acc.usage } : {}),
  };
}

/** Folds one chunk into the accumulated reply. */
function fold(
  acc: {
    id: string;
    model: string;
    content: string;
    reasoning: string;
    refusal: string | null;
    toolCalls: ToolCallAcc[];
    finishReason: string | null;
    usage: unknown;
    chunks: number;
    chars: number;
  },
  chunk: Record<string, unknown>,
): void {
  acc.chunks++;
  if (typeof chunk.id === "string" && !acc.id) acc.id = chunk.id;
  if (typeof chunk.model === "string" && !acc.model) acc.model = chunk.model;
  if (chunk.usage && typeof chunk.usage === "object") acc.usage = chunk.usage;
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  const choice = choices[0] as Record<string, unknown> | undefined;
  if (!choice) return;
  if (typeof choice.finish_reason === "string") {
    acc.finishReason = choice.finish_reason;
  }
  const delta = (choice.delta ?? choice.message ?? {}) as Record<
    string,
    unknown
  >;
  if (typeof delta.content === "string") {
    acc.content += delta.content;
    acc.chars += delta.content.length;
  }
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (typeof reasoning === "string") {
    acc.reasoning += reasoning;
    acc.chars += reasoning.length;
  }
  if (typeof delta.refusal === "string") {
    acc.refusal = (acc.refusal ?? "") + delta.refusal;
  }
  if (!Array.isArray(delta.tool_calls)) return;
  for (const [position, raw] of delta.tool_calls.entries()) {
    const part = (raw ?? {}) as Record<string, unknown>;
    const index = typeof part.index === "number" &&
        Number.isInteger(part.index) && part.index >= 0 && part.index < 1000
      ? part.index
      : position;
    const call = acc.toolCalls[index] ??= {
      id: "",
      type: "function",
      function: { name: "", arguments: "" },
    };
    if (typeof part.id === "string" && part.id) call.id = part.id;
    const fn = (part.function ?? {}) as Record<string, unknown>;
    if (typeof fn.name === "string") call.function.name += fn.name;
    if (typeof fn.arguments === "string") {
      call.function.arguments += fn.arguments;
      acc.chars += fn.arguments.length;
    } else if (fn.arguments && typeof fn.arguments === "object") {
      // Some servers send the whole arguments object at once.
      call.function.arguments += JSON.stringify(fn.arguments);
    }
  }
}

/** The `data:` payloads of a Server-Sent Events body, one per event. */
async function* sseData(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  let buffer = "";
  let data: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let start = 0;
      let newline: number;
      while ((newline = buffer.indexOf("\n", start)) >= 0) {
        const line = buffer.slice(start, newline).replace(/\r$/, "");
        start = newline + 1;
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
        // Comments (":"), event:, id: and retry: lines carry nothing we need.
      }
      buffer = buffer.slice(start);
      if (buffer.length > MAX_REPLY_CHARS) {
        throw new ModelError(
          "bad_response",
          "Model reply is not valid: a stream line is too long",
        );
      }
    }
    // A cancelled read ends like a finished one: an aborted stream is no reply.
    if (signal?.aborted) {
      throw signal.reason ?? new DOMException("Aborted", "AbortError");
    }
    if (data.length > 0) yield data.join("\n");
  } finally {
    signal?.removeEventListener("abort", stop);
    reader.releaseLock();
  }
}
