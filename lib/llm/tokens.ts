/**
 * Token counts of what is sent to a model, with a real tokenizer:
 * `gpt-tokenizer`'s o200k_base (the encoding of gpt-4o, gpt-4.1, o-series and
 * gpt-5). Other models' tokenizers differ by some percent, which the context
 * budget's safety margin absorbs.
 *
 * Counting runs on the event loop and its input is hostile (a task, a file, a
 * model's reply), so its cost is bounded: byte-pair merging is quadratic in
 * the length of one pre-token, and one run of letters, spaces or punctuation
 * is one pre-token — 100 KB of spaces took 12 s. So text is handed to the
 * tokenizer in short pieces, cut where a pre-token ends anyway (the count
 * stays exact for ordinary text) or, inside a long run, every few dozen
 * characters. Even so, text the tokenizer has not seen costs ~10 µs a
 * character, so a text past EXACT_COUNT_CHARS is estimated from evenly spaced
 * samples of that many characters in all: a 24 MiB reply costs what 4 KiB
 * does. Ordinary text (code, prose, logs) is even enough that the estimate
 * stays within a few percent, well inside the context budget's margin.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "./client.ts";

/** Tokens a chat message costs beyond its text (role, separators), as OpenAI documents it. */
const MESSAGE_OVERHEAD = 4;

/** Texts up to this many characters are counted in full; longer ones are estimated from samples. */
export const EXACT_COUNT_CHARS = 4096;
/** Samples an estimate counts, and their length in characters (EXACT_COUNT_CHARS in all). */
const SAMPLES = 16;
const SAMPLE_CHARS = EXACT_COUNT_CHARS / SAMPLES;
/** Longest piece searched for an exact cut (a space between two non-spaces). */
const MAX_PIECE_CHARS = 512;
/** A run without such a cut is cut this often: it bounds one merge's cost. */
const RUN_PIECE_CHARS = 64;

/** Tokens of a text: exact (in pieces) up to EXACT_COUNT_CHARS, a sampled estimate above. */
export function countTextTokens(text: string): number {
  if (text === "") return 0;
  if (text.length <= EXACT_COUNT_CHARS) return countInPieces(text);
  const stride = (text.length - SAMPLE_CHARS) / (SAMPLES - 1);
  let tokens = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const start = Math.floor(i * stride);
    tokens += countInPieces(text.slice(start, start + SAMPLE_CHARS));
  }
  return Math.ceil((tokens / (SAMPLES * SAMPLE_CHARS)) * text.length);
}

/** The tokenizer over pieces of `text`; each piece short, so the whole is linear in its length. */
function countInPieces(text: string): number {
  let tokens = 0;
  let start = 0;
  while (start < text.length) {
    const end = pieceEnd(text, start);
    tokens += countTokens(text.slice(start, end));
    start = end;
  }
  return tokens;
}

/** Where the piece from `start` ends: at a pre-token boundary when one is near, else inside a run. */
function pieceEnd(text: string, start: number): number {
  if (text.length - start <= MAX_PIECE_CHARS) return text.length;
  // A single space between two non-spaces starts a pre-token (" word"):
  // nothing before it can reach past it, so cutting there changes no count.
  for (let i = start + MAX_PIECE_CHARS; i > start; i--) {
    if (
      text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1)) &&
      !isSpace(text.charCodeAt(i + 1))
    ) return i;
  }
  let end = start + RUN_PIECE_CHARS;
  // Never between the two halves of a surrogate pair.
  const code = text.charCodeAt(end);
  if (code >= 0xdc00 && code <= 0xdfff) end++;
  return end;
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 ||
    code === 0x3000 || (code >= 0x2000 && code <= 0x200a) || code === 0x85 ||
    code === 0x1680 || code === 0x2028 || code === 0x2029 || code === 0x202f ||
    code === 0x205f || Number.isNaN(code);
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
