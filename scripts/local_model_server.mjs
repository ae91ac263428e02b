/**
 * An OpenAI-compatible front for one local GGUF model, over npm's node-llama-cpp (prebuilt
 * llama.cpp binaries, no compiler needed). Started by scripts/local_model.sh under Node:
 *
 *   node local_model_server.mjs --lib DIR --model FILE --alias NAME --port P [--ctx N] [--threads N]
 *
 * Routes: GET /health, GET /v1/models, POST /v1/chat/completions (with `tools`, `tool_choice`
 * none/auto, `stream` + `stream_options.include_usage`, `max_tokens`/`max_completion_tokens`,
 * `temperature`, `top_p`, `seed`, `stop`; without them the model card's sampling:
 * --temperature 0.7 --top-p 0.8 --top-k 20 --repeat-penalty 1.05). Tool calls come back as OpenAI `tool_calls`: the
 * model's chat wrapper detects its native function-call syntax (Qwen's <tool_call>) while it
 * generates and the call's arguments are constrained by a grammar built from the tool's JSON
 * schema, so they always parse. One request is evaluated at a time (one context sequence,
 * whose prompt cache the next request reuses); others wait in order.
 */
import { appendFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  toGrammarSchema,
  toolCallsInText,
  withoutNulls,
} from "./local_model_tools.mjs";

const { values: args } = parseArgs({
  options: {
    lib: { type: "string" },
    model: { type: "string" },
    alias: { type: "string" },
    port: { type: "string", default: "8088" },
    ctx: { type: "string", default: "32768" },
    threads: { type: "string", default: "0" },
    // Sampling when a request names none: Qwen2.5-Coder's own generation_config.json
    // (temperature 0.7, top_p 0.8, top_k 20, repetition_penalty 1.05), as llama.cpp's
    // server (temperature 0.8) and vLLM (--generation-config auto) sample by default.
    // Greedy decoding made the 1.5B model repeat its previous turn word for word.
    temperature: { type: "string", default: "0.7" },
    "top-p": { type: "string", default: "0.8" },
    "top-k": { type: "string", default: "20" },
    "repeat-penalty": { type: "string", default: "1.05" },
    // One JSON line per request (its last message, the reply, usage, speed): the evidence
    // for what an agent's model calls did. Prompts stay on this machine.
    "request-log": { type: "string" },
  },
});
if (!args.lib || !args.model || !args.alias) {
  console.error("usage: --lib DIR --model FILE --alias NAME [--port P]");
  process.exit(2);
}
const nlc = await import(
  pathToFileURL(join(args.lib, "node_modules/node-llama-cpp/dist/index.js"))
    .href
);

/** Largest request body accepted (a whole agent conversation fits well below). */
const MAX_BODY = 8 * 1024 * 1024;

const llama = await nlc.getLlama({ build: "never", gpu: false });
const model = await llama.loadModel({ modelPath: args.model });
const context = await model.createContext({
  contextSize: Number(args.ctx),
  sequences: 1,
  threads: Number(args.threads),
});
const sequence = context.getSequence();
let chat = new nlc.LlamaChat({ contextSequence: sequence });
if (chat.chatWrapper.wrapperName === "Qwen") {
  // Tool results as the GGUF's own template writes them: the text itself. By default the
  // wrapper writes a string result JSON-encoded (quoted, newlines as \n), so a small model
  // read a file listing or a command's output as one escaped line. (The option is
  // node-llama-cpp's own, marked internal: the version is pinned in local_model.sh.)
  chat.dispose({ disposeSequence: false });
  chat = new nlc.LlamaChat({
    contextSequence: sequence,
    chatWrapper: new nlc.QwenChatWrapper({ _flatFunctionResultString: true }),
  });
}
log(
  `loaded ${args.model}: ${chat.chatWrapper.wrapperName}, context ${context.contextSize} tokens, ` +
    `default sampling: temperature ${args.temperature}, top_p ${
      args["top-p"]
    }, top_k ${args["top-k"]}, repeat penalty ${args["repeat-penalty"]}`,
);

/** Requests run one after another: the one sequence holds one conversation at a time. */
let queue = Promise.resolve();
function exclusive(task) {
  const run = queue.then(task, task);
  queue = run.catch(() => {});
  return run;
}

class BadRequest extends Error {}

function textOf(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) =>
      typeof part === "string" ? part : part?.text ?? ""
    )
      .join("");
  }
  return content == null ? "" : String(content);
}

/**
 * OpenAI messages as node-llama-cpp's chat history: an assistant message's tool calls become
 * function-call items whose results are the `tool` messages that answer them.
 */
function toHistory(messages) {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new BadRequest("messages: must be a non-empty array");
  }
  const history = [];
  const pending = new Map();
  for (const [i, m] of messages.entries()) {
    const role = m?.role;
    if (role === "system" || role === "developer") {
      history.push({ type: "system", text: textOf(m.content) });
    } else if (role === "user") {
      history.push({ type: "user", text: textOf(m.content) });
    } else if (role === "assistant") {
      const response = [];
      const text = textOf(m.content);
      if (text) response.push(text);
      for (const call of m.tool_calls ?? []) {
        let params;
        try {
          params = JSON.parse(call?.function?.arguments || "{}");
        } catch {
          params = call?.function?.arguments ?? "";
        }
        const item = {
          type: "functionCall",
          name: String(call?.function?.name ?? ""),
          params,
          result: "",
        };
        response.push(item);
        if (call?.id) pending.set(call.id, item);
      }
      history.push({ type: "model", response });
    } else if (role === "tool") {
      const item = pending.get(m.tool_call_id);
      if (!item) {
        throw new BadRequest(
          `messages[${i}]: tool message answers no earlier tool call (tool_call_id ${
            JSON.stringify(m.tool_call_id)
          })`,
        );
      }
      item.result = textOf(m.content);
    } else {
      throw new BadRequest(
        `messages[${i}].role: unknown role ${JSON.stringify(role)}`,
      );
    }
  }
  // The reply is the next model turn, or continues the one whose tool calls were just answered.
  if (history.at(-1)?.type !== "model") {
    history.push({ type: "model", response: [] });
  }
  return history;
}

function toFunctions(tools, toolChoice) {
  if (toolChoice === "none" || !Array.isArray(tools) || tools.length === 0) {
    return undefined;
  }
  const functions = {};
  for (const [i, tool] of tools.entries()) {
    const fn = tool?.function;
    if (tool?.type !== "function" || typeof fn?.name !== "string") {
      throw new BadRequest(
        `tools[${i}]: must be {type: "function", function: {name, …}}`,
      );
    }
    functions[fn.name] = {
      description: typeof fn.description === "string"
        ? fn.description
        : undefined,
      params: fn.parameters ? toGrammarSchema(fn.parameters) : undefined,
    };
  }
  return functions;
}

function logRequest(body, out, seconds) {
  if (!args["request-log"]) return;
  const last = body.messages?.at(-1);
  const cut = (text, n) => (text.length > n ? `${text.slice(0, n)}…` : text);
  const line = {
    ts: new Date().toISOString(),
    seconds: Math.round(seconds * 10) / 10,
    messages: body.messages?.length,
    tools: body.tools?.map((t) => t?.function?.name),
    last: { role: last?.role, content: cut(textOf(last?.content), 600) },
    reply: cut(out.content ?? "", 2000),
    tool_calls: out.toolCalls.map((c) => ({
      name: c.function.name,
      arguments: cut(c.function.arguments, 2000),
    })),
    from_text: out.fromText,
    finish: out.finishReason,
    usage: out.usage,
    evaluated: out.timings.prompt_n,
  };
  appendFile(args["request-log"], JSON.stringify(line) + "\n").catch(() => {});
}

/** Generates one reply for an OpenAI request; `onText` sees the text as it is made. */
async function complete(body, onText, signal) {
  const history = toHistory(body.messages);
  const functions = toFunctions(body.tools, body.tool_choice);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  const before = sequence.tokenMeter.getState();
  const t0 = performance.now();
  let firstTokenAt = null;
  const first = () => {
    firstTokenAt ??= performance.now();
  };
  const res = await chat.generateResponse(history, {
    ...(functions ? { functions, documentFunctionParams: true } : {}),
    ...(typeof maxTokens === "number" && maxTokens > 0 ? { maxTokens } : {}),
    temperature: typeof body.temperature === "number"
      ? body.temperature
      : Number(args.temperature),
    topP: typeof body.top_p === "number" ? body.top_p : Number(args["top-p"]),
    topK: Number(args["top-k"]),
    repeatPenalty: { penalty: Number(args["repeat-penalty"]) },
    ...(typeof body.seed === "number" ? { seed: body.seed } : {}),
    ...(Array.isArray(stop) && stop.length > 0
      ? { customStopTriggers: stop }
      : {}),
    onTextChunk: (text) => {
      first();
      onText(text);
    },
    onFunctionCallParamsChunk: first,
    signal,
    stopOnAbortSignal: true,
  });
  const t1 = performance.now();
  const seconds = (t1 - t0) / 1000;
  const used = sequence.tokenMeter.diff(before);
  const completionTokens = used.usedOutputTokens;
  const promptTokens = Math.max(0, sequence.nextTokenIndex - completionTokens);
  const promptMs = (firstTokenAt ?? t1) - t0;
  const predictedMs = t1 - (firstTokenAt ?? t1);
  let calls = res.functionCalls ?? [];
  let content = res.response;
  let fromText = false;
  if (calls.length === 0) {
    calls = toolCallsInText(res.response, functions);
    if (calls.length > 0) {
      // Logged, so a transcript's calls can be told apart from native ones.
      fromText = true;
      content = "";
      log(`parsed ${calls.length} tool call(s) written as text`);
    }
  }
  const toolCalls = calls.map((call, i) => ({
    id: `call_${Date.now().toString(36)}_${i}`,
    type: "function",
    function: {
      name: call.functionName,
      arguments: typeof call.params === "string"
        ? call.params
        : JSON.stringify(withoutNulls(call.params ?? {})),
    },
  }));
  const reason = res.metadata.stopReason;
  const result = {
    content,
    toolCalls,
    fromText,
    finishReason: toolCalls.length > 0
      ? "tool_calls"
      : reason === "maxTokens"
      ? "length"
      : "stop",
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    timings: {
      prompt_n: used.usedInputTokens,
      prompt_ms: promptMs,
      prompt_per_second: used.usedInputTokens / Math.max(promptMs / 1000, 1e-3),
      predicted_n: completionTokens,
      predicted_ms: predictedMs,
      predicted_per_second: completionTokens /
        Math.max(predictedMs / 1000, 1e-3),
    },
  };
  logRequest(body, result, seconds);
  return result;
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function error(res, status, message, type = "invalid_request_error") {
  sendJson(res, status, { error: { message, type } });
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) {
      throw new BadRequest(`body larger than ${MAX_BODY} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
}

async function chatCompletions(req, res) {
  const body = await readBody(req);
  if (!body || typeof body !== "object") {
    throw new BadRequest("body must be a JSON object");
  }
  const id = `chatcmpl-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, created, model: args.alias };
  // A client that goes away stops the generation.
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  if (!body.stream) {
    const out = await exclusive(() => complete(body, () => {}, abort.signal));
    sendJson(res, 200, {
      ...base,
      object: "chat.completion",
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: out.toolCalls.length > 0 && !out.content
            ? null
            : out.content,
          ...(out.toolCalls.length > 0 ? { tool_calls: out.toolCalls } : {}),
        },
        ...(out.fromText ? { tool_calls_parsed_from_text: true } : {}),
        finish_reason: out.finishReason,
      }],
      usage: out.usage,
      timings: out.timings,
    });
    return;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const chunk = (delta, finish = null, extra = {}) =>
    res.write(
      `data: ${
        JSON.stringify({
          ...base,
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...extra,
        })
      }\n\n`,
    );
  // The role goes with the first token: a client can tell "reading the prompt" (no chunk
  // yet; minutes on a CPU) from "replying".
  let role = { role: "assistant" };
  const delta = (d) => {
    chunk({ ...role, ...d });
    role = {};
  };
  // A comment line every 15 s keeps proxies and idle timers from closing a slow stream.
  const keepAlive = setInterval(() => res.write(": waiting\n\n"), 15_000);
  try {
    const out = await exclusive(() =>
      complete(body, (text) => delta({ content: text }), abort.signal)
    );
    out.toolCalls.forEach((call, index) =>
      delta({ tool_calls: [{ index, ...call }] })
    );
    chunk({ ...role }, out.finishReason, { timings: out.timings });
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${
          JSON.stringify({
            ...base,
            object: "chat.completion.chunk",
            choices: [],
            usage: out.usage,
          })
        }\n\n`,
      );
    }
    res.write("data: [DONE]\n\n");
  } catch (e) {
    res.write(
      `data: ${
        JSON.stringify({ error: { message: String(e?.message ?? e) } })
      }\n\n`,
    );
  } finally {
    clearInterval(keepAlive);
    res.end();
  }
}

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  try {
    if (req.method === "GET" && path === "/health") {
      sendJson(res, 200, { status: "ok", model: args.alias });
    } else if (req.method === "GET" && path === "/v1/models") {
      sendJson(res, 200, {
        object: "list",
        data: [{ id: args.alias, object: "model", owned_by: "local" }],
      });
    } else if (req.method === "POST" && path === "/v1/chat/completions") {
      await chatCompletions(req, res);
    } else {
      error(res, 404, `no route ${req.method} ${path}`, "not_found_error");
    }
  } catch (e) {
    if (res.headersSent) return res.end();
    if (e instanceof BadRequest) error(res, 400, e.message);
    else {
      log(`error: ${e?.stack ?? e}`);
      error(res, 500, String(e?.message ?? e), "server_error");
    }
  }
});
server.requestTimeout = 0;
server.listen(
  Number(args.port),
  "127.0.0.1",
  () => log(`listening on http://127.0.0.1:${args.port}/v1 as ${args.alias}`),
);

function shutdown() {
  server.close();
  context.dispose().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

function log(line) {
  console.error(`[${new Date().toISOString()}] ${line}`);
}
