/**
 * Token counts of what is sent to a model, with a real tokenizer:
 * `gpt-tokenizer`'s o200k_base (the encoding of gpt-4o, gpt-4.1, o-series and
 * gpt-5). Other models' tokenizers differ by some percent, which the context
 * budget's safety margin absorbs.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "./client.ts";

/** Tokens a chat message costs beyond its text (role, separators), as OpenAI documents it. */
const MESSAGE_OVERHEAD = 4;

/** Tokens of a text. */
export function countTextTokens(text: string): number {
  return text === "" ? 0 : countTokens(text);
}

const counted = new WeakMap<object, number>();

/** Tokens of one chat message: its text, its tool calls' names and arguments, the overhead. */
export function countMessageTokens(
  message: ChatCompletionMessageParam,
): number {
  const known = counted.get(message);
  if (known !== undefined) return known;
  let tokens = MESSAGE_OVERHEAD;
  const content = message.content;
  if (typeof content === "string") tokens += countTextTokens(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if ("text" in part && typeof part.text === "string") {
        tokens += countTextTokens(part.text);
      }
    }
  }
  if (message.role === "assistant" && message.tool_calls) {
    for (const call of message.tool_calls) {
      if (call.type !== "function") continue;
      tokens += MESSAGE_OVERHEAD + countTextTokens(call.function.name) +
        countTextTokens(call.function.arguments);
    }
  }
  counted.set(message, tokens);
  return tokens;
}

/** Tokens of a list of messages. */
export function countMessagesTokens(
  messages: readonly ChatCompletionMessageParam[],
): number {
  let total = 3; // every reply is primed with a few tokens
  for (const message of messages) total += countMessageTokens(message);
  return total;
}

/** Tokens the tool declarations add to every request (their JSON, a close upper bound). */
export function countToolsTokens(tools: readonly ChatCompletionTool[]): number {
  return tools.length === 0 ? 0 : countTextTokens(JSON.stringify(tools));
}
