/** Shapes shared by the SE and PO agent loops. */
import {
  type ChatCompletionMessage,
  type ChatCompletionMessageParam,
  ModelError,
  type TokenUsage,
} from "../llm/mod.ts";
import type { CommandResult, EventKind } from "../factory/mod.ts";

/** The work order's task as the agents see it. */
export interface AgentTask {
  title: string | null;
  body: string;
  acceptanceCommands: string[];
  allowedPaths: string[];
  forbiddenPaths: string[];
}

/** One model round trip of an agent, with its token counts. */
export interface AgentExchange {
  request_tokens?: number;
  usage: TokenUsage;
  finish_reason: string | null;
  /** Old tool outputs sent as stubs in this request. */
  stubbed?: number;
  /** Old steps sent condensed in this request. */
  condensed?: number;
  /** The endpoint reported no usage; these counts are AOS's own. */
  usage_estimated?: boolean;
  /** Tool calls read from the reply's text because the server did not parse them. */
  text_tool_calls?: number;
  /** The reply's text as written, when tool calls were read from it. */
  raw_content?: string;
  /** The reply held neither text nor a call: it was asked again, and kept out of the conversation. */
  empty?: boolean;
}

/** Everything said to and by the model in one agent turn. */
export interface AgentTranscript {
  messages: ChatCompletionMessageParam[];
  exchanges: AgentExchange[];
}

/** Something notable that happened during an agent turn, for the run's event log. */
export interface AgentEvent {
  kind: EventKind;
  level: "INFO" | "WARN" | "ERROR";
  payload: Record<string, unknown>;
}

export { commandFailed } from "../factory/mod.ts";

/**
 * Runs an agent's loop; a `ModelError` it throws leaves carrying what the
 * loop had used and said by then (`partial`, read at the failure), so a
 * failed turn is still paid for and kept. A `partial` set deeper is kept.
 */
export async function keepingPartial<T>(
  loop: () => Promise<T>,
  sofar: () => { usage: TokenUsage; transcript: AgentTranscript },
): Promise<T> {
  try {
    return await loop();
  } catch (error) {
    if (error instanceof ModelError) error.partial ??= sofar();
    throw error;
  }
}

/** The last `maxChars` of `text`, with a marker when something was cut. */
export function tail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `[… ${text.length - maxChars} earlier characters omitted …]\n${
    text.slice(-maxChars)
  }`;
}

/** `text` cut to `maxChars`, with a marker naming how much was dropped. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[… ${
    text.length - maxChars
  } more characters omitted …]`;
}

/**
 * `text` within `maxChars`: its first third and last two thirds kept (the
 * first error and the final summary of a test run), with a marker between.
 */
export function headTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const headChars = Math.floor(maxChars / 3);
  const tailChars = maxChars - headChars;
  return `${text.slice(0, headChars)}\n[… ${
    text.length - headChars - tailChars
  } characters omitted …]\n${text.slice(text.length - tailChars)}`;
}

/** Per command: `$ cmd`, `→ exit code 1`, then its output's head and tail. */
export function describeCommands(
  commands: CommandResult[],
  maxChars: number,
): string {
  return commands.map((c) => {
    const status = c.timed_out
      ? "timed out"
      : `exit code ${c.exit_code ?? "none (killed)"}`;
    const output = c.output.trim()
      ? headTail(c.output.trimEnd(), maxChars)
      : "(no output)";
    return `$ ${c.command}\n→ ${status}\n${output}`;
  }).join("\n\n");
}

/** A tool call as the agents handle it, whatever shape the server sent. */
export interface AgentToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * The tool calls of a reply, tolerating OpenAI-compatible servers that omit
 * ids or `type`, or send arguments as an object.
 */
export function readToolCalls(
  message: ChatCompletionMessage,
  idPrefix: string,
): AgentToolCall[] {
  const raw: unknown = message.tool_calls;
  if (!Array.isArray(raw)) return [];
  return raw.map((entry: unknown, i) => {
    const call =
      (typeof entry === "object" && entry !== null ? entry : {}) as Record<
        string,
        unknown
      >;
    const fn = (call.function ?? call.custom ?? {}) as Record<string, unknown>;
    const args = fn.arguments ?? fn.input ?? "";
    return {
      id: typeof call.id === "string" && call.id ? call.id : `${idPrefix}_${i}`,
      name: typeof fn.name === "string" ? fn.name : "(unnamed)",
      arguments: typeof args === "string" ? args : JSON.stringify(args),
    };
  });
}

/** The assistant's reply, to send back in the next request, with the tool calls as read. */
export function assistantMessage(
  message: ChatCompletionMessage,
  calls: AgentToolCall[],
): ChatCompletionMessageParam {
  const content = typeof message.content === "string" ? message.content : null;
  if (calls.length === 0) return { role: "assistant", content: content ?? "" };
  return {
    role: "assistant",
    content,
    tool_calls: calls.map((c) => ({
      id: c.id,
      type: "function" as const,
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}
