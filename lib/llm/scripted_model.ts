/**
 * A SCRIPTED OpenAI-compatible model server (canned replies, not an LLM) for
 * tests and the offline demo. It answers `POST /v1/chat/completions` over real
 * HTTP from two queues: the SE's (requests offering `finish`) and the PO's
 * (requests offering `submit_verdict`).
 */

/** One tool call of a scripted reply; an object `arguments` is JSON-encoded, a string is sent verbatim. */
export interface ScriptedToolCall {
  name: string;
  arguments: unknown;
}

/** One scripted answer to a chat completion request. */
export type ScriptedReply =
  | ({ tool_calls: ScriptedToolCall[]; content?: string } & ReplyExtras)
  | ({ content: string } & ReplyExtras)
  | { status: number; body?: string; headers?: Record<string, string> }
  | { garbage: string }
  | { delayMs: number; then: ScriptedReply };

/** What a successful scripted reply may set instead of the defaults. */
export interface ReplyExtras {
  /** Merged over the computed usage (e.g. `prompt_tokens_details`). */
  usage?: Record<string, unknown>;
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finish_reason?: string;
  /** To a streamed request: the pause before each chunk (a slow model). */
  chunkDelayMs?: number;
}

/** The replies per agent, consumed in order. */
export interface ModelScript {
  se: ScriptedReply[];
  po: ScriptedReply[];
  /**
   * Replies per model name, consumed in order: a request naming one of these
   * models is answered from its own queue, whatever the agent — so turns
   * running in parallel (best-of-N attempts with `attempt_models`) each get
   * their own script.
   */
  models?: Record<string, ScriptedReply[]>;
}

/** A request the server received (the Authorization header is never kept). */
export interface RecordedRequest {
  agent: "se" | "po" | "unknown";
  path: string;
  /** Whether the request carried the expected bearer key (always true when no key is required). */
  authorized: boolean;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

/** A running scripted model. */
export interface ScriptedModel {
  /** Base URL ending in `/v1`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
  remaining(): { se: number; po: number };
}

/** A tool call entry for a scripted reply. */
export function toolCall(name: string, args: unknown): ScriptedToolCall {
  return { name, arguments: args };
}

/** The SE's `write_file` call. */
export function writeFileCall(path: string, content: string): ScriptedToolCall {
  return toolCall("write_file", { path, content });
}

/** The SE's `finish` call. */
export function finishCall(summary: string): ScriptedToolCall {
  return toolCall("finish", { summary });
}

/** A reply making the given tool calls. */
export function reply(...calls: ScriptedToolCall[]): ScriptedReply {
  return { tool_calls: calls };
}

/**
 * An OpenAI-style error reply: `{ error: { message, type, code } }` with
 * `status` and `headers` (e.g. `retry-after`).
 */
export function errorReply(
  status: number,
  code: string | null,
  opts: { message?: string; type?: string; headers?: Record<string, string> } =
    {},
): ScriptedReply {
  return {
    status,
    body: JSON.stringify({
      error: {
        message: opts.message ?? `Scripted HTTP ${status} ${code ?? ""}`.trim(),
        type: opts.type ?? code ?? "server_error",
        param: null,
        code,
      },
    }),
    ...(opts.headers ? { headers: opts.headers } : {}),
  };
}

/** SE replies that write one file, then finish. */
export function seWrite(
  path: string,
  content: string,
  summary: string,
): ScriptedReply[] {
  return [reply(writeFileCall(path, content)), reply(finishCall(summary))];
}

/** A PO reply submitting a verdict. */
export function poVerdict(
  decision: "PASS" | "FAIL",
  feedback: string,
): ScriptedReply {
  return reply(toolCall("submit_verdict", { decision, feedback }));
}

/** Reads a transcript file `{ "se": [...], "po": [...] }` (other top-level keys are ignored). */
export async function loadScript(path: string): Promise<ModelScript> {
  const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
  if (typeof parsed !== "object" || parsed === null) {
    throw new TypeError(`Transcript '${path}' is not a JSON object`);
  }
  const { se, po } = parsed as { se?: unknown; po?: unknown };
  return { se: checkQueue(path, "se", se), po: checkQueue(path, "po", po) };
}

function checkQueue(
  path: string,
  agent: string,
  queue: unknown,
): ScriptedReply[] {
  if (queue === undefined) return [];
  if (!Array.isArray(queue)) {
    throw new TypeError(`Transcript '${path}': '${agent}' must be a list`);
  }
  queue.forEach((entry, i) => {
    if (!isReply(entry)) {
      throw new TypeError(
        `Transcript '${path}': '${agent}[${i}]' is not a scripted reply`,
      );
    }
  });
  return queue as ScriptedReply[];
}

function isReply(value: unknown): value is ScriptedReply {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  if ("delayMs" in r) return typeof r.delayMs === "number" && isReply(r.then);
  if ("status" in r) return typeof r.status === "number";
  if ("garbage" in r) return typeof r.garbage === "string";
  if ("tool_calls" in r) {
    return Array.isArray(r.tool_calls) &&
      r.tool_calls.every((c) =>
        typeof c === "object" && c !== null && typeof c.name === "string"
      );
  }
  return typeof r.content === "string";
}

const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

const apiError = (status: number, message: string, type = "server_error") =>
  json(status, { error: { message, type, param: null, code: null } });

/** Starts the scripted model on 127.0.0.1 (a free port unless `port` is given). */
export function startScriptedModel(
  script: ModelScript,
  opts: {
    apiKey?: string;
    port?: number;
    /** Called with one line per answered request (for the CLI wrapper). */
    log?: (line: string) => void;
    /**
     * Awaited before the scripted reply is sent, with the agent and its
     * 1-based request count: lets a test act at an exact point of a run.
     */
    beforeReply?: (agent: "se" | "po", n: number) => Promise<void> | void;
  } = {},
): Promise<ScriptedModel> {
  const queues = { se: [...script.se], po: [...script.po] };
  const byModel = new Map(
    Object.entries(script.models ?? {}).map(([name, q]) => [name, [...q]]),
  );
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const answered = { se: 0, po: 0 };
  let counter = 0;

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (
      req.method !== "POST" ||
      !["/v1/chat/completions", "/chat/completions"].includes(path)
    ) {
      return apiError(
        404,
        `No route for ${req.method} ${path} on the scripted model`,
        "invalid_request_error",
      );
    }
    const text = await req.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* recorded as text below */ }
    const agent = agentOf(body);
    const authorized = !opts.apiKey ||
      req.headers.get("authorization") === `Bearer ${opts.apiKey}`;
    requests.push({ agent, path, authorized, body });
    if (!authorized) {
      return apiError(
        401,
        "Incorrect API key provided",
        "invalid_request_error",
      );
    }
    if (typeof body !== "object" || body === null) {
      return apiError(400, "Request body is not JSON", "invalid_request_error");
    }
    if (agent === "unknown") {
      return apiError(
        400,
        "Scripted model cannot tell the agent: the request offers neither finish nor submit_verdict",
        "invalid_request_error",
      );
    }
    const named = (body as { model?: unknown }).model;
    const own = typeof named === "string" ? byModel.get(named) : undefined;
    let next = (own ?? queues[agent]).shift();
    await opts.beforeReply?.(agent, ++answered[agent]);
    if (!next) {
      opts.log?.(
        `${agent} request ${requests.length}: script exhausted (HTTP 500)`,
      );
      return apiError(500, `script exhausted for ${agent}`);
    }
    while ("delayMs" in next) {
      const waited = await delay(
        next.delayMs,
        AbortSignal.any([req.signal, closing.signal]),
      );
      if (!waited) return apiError(503, "Scripted model stopped waiting");
      next = next.then;
    }
    opts.log?.(`${agent} request ${requests.length}: ${describe(next)}`);
    const response = answer(
      next,
      text.length,
      (body as { model?: unknown }).model,
      ++counter,
    );
    const streamed = (body as { stream?: unknown }).stream === true;
    if (!streamed || response.status !== 200 || "garbage" in next) {
      return response;
    }
    const delayMs = "chunkDelayMs" in next ? next.chunkDelayMs ?? 0 : 0;
    // Not req.signal: Deno aborts it once a response is delivered, and a
    // client that goes away mid-stream just ends the stream.
    return streamOf(await response.json(), delayMs, closing.signal);
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => {} },
    handle,
  );
  const url = `http://127.0.0.1:${server.addr.port}/v1`;
  let closed: Promise<void> | null = null;
  return Promise.resolve({
    url,
    requests,
    remaining: () => ({ se: queues.se.length, po: queues.po.length }),
    close() {
      closed ??= (async () => {
        closing.abort();
        await server.shutdown();
      })();
      return closed;
    },
  });
}

/** What a reply does, in a few words. */
function describe(next: ScriptedReply): string {
  if ("delayMs" in next) {
    return `after ${next.delayMs} ms, ${describe(next.then)}`;
  }
  if ("status" in next) return `HTTP ${next.status}`;
  if ("garbage" in next) return "a garbage body";
  if ("tool_calls" in next) {
    return `tool calls ${next.tool_calls.map((c) => c.name).join(", ")}`;
  }
  return "text without tool calls";
}

function agentOf(body: unknown): RecordedRequest["agent"] {
  const tools = (body as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools)) return "unknown";
  const names = tools.map((t) =>
    (t as { function?: { name?: unknown } })?.function?.name
  );
  if (names.includes("finish")) return "se";
  if (names.includes("submit_verdict")) return "po";
  return "unknown";
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A completion as the Server-Sent Events a streaming server sends: the role,
 * the content in pieces, each tool call's name and then its arguments in
 * pieces, the finish reason, the usage (include_usage), `[DONE]`.
 */
function streamOf(
  completion: {
    id: string;
    created: number;
    model: string;
    choices: {
      message: {
        content: string | null;
        tool_calls?: {
          id: string;
          function: { name: string; arguments: string };
        }[];
      };
      finish_reason: string;
    }[];
    usage: unknown;
  },
  delayMs: number,
  signal: AbortSignal,
): Response {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
  };
  const choice = completion.choices[0]!;
  const deltas: Record<string, unknown>[] = [{ role: "assistant" }];
  for (const piece of pieces(choice.message.content ?? "")) {
    deltas.push({ content: piece });
  }
  for (const [index, call] of (choice.message.tool_calls ?? []).entries()) {
    deltas.push({
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.function.name, arguments: "" },
      }],
    });
    for (const piece of pieces(call.function.arguments)) {
      deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  }
  const events = [
    ...deltas.map((delta) => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason: null }],
    })),
    {
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }],
    },
    { ...base, choices: [], usage: completion.usage },
  ];
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        // The role comes at once, as real servers send it; then each piece waits.
        for (const [i, event] of events.entries()) {
          if (i > 0 && delayMs > 0 && !(await delay(delayMs, signal))) {
            controller.close(); // the client went away
            return;
          }
          controller.enqueue(
            encoder.encode(`data: ${JSON.stringify(event)}\n\n`),
          );
        }
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      } catch { /* the client went away mid-stream */ }
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}

/** `text` in pieces of about 40 characters (at most 50 pieces). */
function pieces(text: string): string[] {
  if (text === "") return [];
  const size = Math.max(40, Math.ceil(text.length / 50));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

type ImmediateReply = Exclude<ScriptedReply, { delayMs: number }>;

function answer(
  next: ImmediateReply,
  requestChars: number,
  model: unknown,
  n: number,
): Response {
  if ("status" in next) {
    const headers = { "content-type": "application/json", ...next.headers };
    const body = next.body ??
      JSON.stringify({
        error: {
          message: `Scripted HTTP ${next.status}`,
          type: "server_error",
        },
      });
    return new Response(body, { status: next.status, headers });
  }
  if ("garbage" in next) {
    return new Response(next.garbage, {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }
  const calls = "tool_calls" in next ? next.tool_calls : [];
  const message = {
    role: "assistant",
    content: next.content ?? null,
    refusal: null,
    ...(calls.length > 0
      ? {
        tool_calls: calls.map((call, i) => ({
          id: `call_${n}_${i}`,
          type: "function",
          function: {
            name: call.name,
            arguments: typeof call.arguments === "string"
              ? call.arguments
              : JSON.stringify(call.arguments ?? {}),
          },
        })),
      }
      : {}),
  };
  const prompt = Math.max(1, Math.ceil(requestChars / 4));
  const completion = Math.max(1, Math.ceil(JSON.stringify(message).length / 4));
  return json(200, {
    id: `chatcmpl-scripted-${n}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: typeof model === "string" ? model : "scripted",
    system_fingerprint: "scripted",
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: next.finish_reason ??
        (calls.length > 0 ? "tool_calls" : "stop"),
    }],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      ...next.usage,
    },
  });
}
