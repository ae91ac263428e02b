/**
 * The tool calls of a model reply as the agents run them: the server's
 * structured `tool_calls`, else the calls written in the message text (a
 * server without a tool-call parser), and the message as the conversation
 * keeps it, each call once.
 */
import type { ChatCompletionMessage } from "../llm/mod.ts";
import { type AgentToolCall, readToolCalls } from "./conversation.ts";
import { parseTextToolCalls, textWithoutCalls } from "./text_tool_calls.ts";

/** What a reply asks for. */
export interface ReplyCalls {
  calls: AgentToolCall[];
  /** The reply with call text taken out of its content where the calls were read from it. */
  message: ChatCompletionMessage;
  /** The text as the model wrote it, when the calls were read from the text; else null. */
  fromText: string | null;
}

/** The calls of `message` naming tools in `known` (ids `${idPrefix}_…`). */
export function replyCalls(
  message: ChatCompletionMessage,
  known: ReadonlySet<string>,
  idPrefix: string,
): ReplyCalls {
  const calls = readToolCalls(message, idPrefix);
  const content = message.content;
  if (typeof content !== "string" || !content.includes("{")) {
    return { calls, message, fromText: null };
  }
  const written = parseTextToolCalls(content, known);
  if (written.length === 0) return { calls, message, fromText: null };
  const stripped = { ...message, content: textWithoutCalls(content, written) };
  if (calls.length > 0) {
    // The server parsed the calls but sent their text too: keep each call once.
    return { calls, message: stripped, fromText: null };
  }
  return {
    calls: written.map((c, i) => ({
      id: `${idPrefix}_text_${i}`,
      name: c.name,
      arguments: c.arguments,
    })),
    message: stripped,
    fromText: content,
  };
}
