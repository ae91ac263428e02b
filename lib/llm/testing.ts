/**
 * Test support for the model client (imported by tests and the offline demo
 * only): the scripted OpenAI-compatible model server, a scripted model
 * requiring a known key, a client pointed at it, and a check that an error is
 * the expected ModelError without the key in it.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import {
  type ChatCompletionTool,
  ModelClient,
  type ModelClientOptions,
  ModelError,
} from "./client.ts";
import {
  type ModelScript,
  type ScriptedModel,
  type ScriptedReply,
  startScriptedModel,
} from "./scripted_model.ts";

export {
  errorReply,
  finishCall,
  loadScript,
  type ModelScript,
  poVerdict,
  type RecordedRequest,
  reply,
  type ReplyExtras,
  type ScriptedModel,
  type ScriptedReply,
  type ScriptedToolCall,
  seWrite,
  startScriptedModel,
  toolCall,
  writeFileCall,
} from "./scripted_model.ts";

/** The API key the scripted model requires; never to be seen in an error. */
export const KEY = "sk-llm-test-SECRET-9a8b7c";

/** The `finish` tool the test requests offer. */
export const FINISH_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: "finish",
    description: "Ends the turn",
    parameters: {
      type: "object",
      properties: { summary: { type: "string" } },
      required: ["summary"],
    },
  },
};

/** A model reply calling `finish`. */
export const finishReply: ScriptedReply = {
  tool_calls: [{ name: "finish", arguments: { summary: "hi" } }],
};

/** A chat request saying hi with the `finish` tool, cancellable by `signal`. */
export function chatRequest(signal?: AbortSignal) {
  return {
    messages: [{ role: "user" as const, content: "Say hi" }],
    tools: [FINISH_TOOL],
    ...(signal ? { signal } : {}),
  };
}

/**
 * Runs `fn` with a scripted model requiring KEY (a list of replies is the
 * SE's script) and a client pointed at it with `opts` over fast retries.
 */
export async function withModel(
  script: ModelScript | ScriptedReply[],
  opts: Partial<ModelClientOptions>,
  fn: (client: ModelClient, model: ScriptedModel) => Promise<void>,
): Promise<void> {
  const model = await startScriptedModel(
    Array.isArray(script) ? { se: script, po: [] } : script,
    { apiKey: KEY },
  );
  try {
    const client = new ModelClient({
      apiKey: KEY,
      baseUrl: model.url,
      model: "gpt-4.1-mini",
      retryBaseMs: 1,
      ...opts,
    });
    await fn(client, model);
  } finally {
    await model.close();
  }
}

/** Asserts `promise` rejects with a ModelError of `kind` that does not carry KEY, and returns it. */
export async function modelError(
  promise: Promise<unknown>,
  kind: ModelError["kind"],
): Promise<ModelError> {
  let caught: unknown = null;
  await rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert(caught instanceof ModelError, `expected a ModelError, got ${caught}`);
  assertEquals(caught.name, "ModelError");
  assertEquals(caught.kind, kind, caught.message);
  assert(!caught.message.includes(KEY), "API key in error message");
  assert(!String(caught.stack).includes(KEY), "API key in error stack");
  return caught;
}
