/**
 * What one request of a tool-calling conversation carries: the conversation
 * as it happened, made small. Old tool outputs become one-line stubs, old
 * steps are condensed into one message when the budget comes near, and a
 * request never exceeds its token budget. The conversation itself (journal,
 * transcript) keeps everything; only the request is shrunk.
 */
import type { ChatCompletionMessageParam } from "../llm/mod.ts";
import {
  countMessagesTokens,
  countMessageTokens,
  ModelError,
} from "../llm/mod.ts";

/** How a request's context is kept small. */
export interface ContextPolicy {
  /** Most prompt tokens one request may carry, tool declarations included. */
  budgetTokens: number;
  /** Tokens of the tool declarations sent with every request. */
  toolsTokens: number;
  /** Tool results kept whole; older ones become one-line stubs. Default 4. */
  recentToolResults?: number;
  /** Steps kept verbatim when older ones are condensed. Default 4. */
  recentSteps?: number;
  /** Share of the budget past which older steps are condensed. Default 0.7. */
  condenseAt?: number;
}

/** One request's messages and what was done to fit them. */
export interface ContextView {
  messages: ChatCompletionMessageParam[];
  /** Prompt tokens of the request: messages plus tool declarations. */
  tokens: number;
  /** Tool outputs replaced by stubs. */
  stubbed: number;
  /** Steps condensed into the summary message. */
  condensed: number;
  /** Whether texts had to be cut to fit. */
  cut: boolean;
}

type Message = ChatCompletionMessageParam;
type AssistantMessage = Extract<Message, { role: "assistant" }>;

/** Results shorter than this are kept: a stub would not be shorter. */
const STUB_MIN_CHARS = 400;
/** Longest argument string an old assistant message keeps. */
const OLD_ARGUMENT_CHARS = 300;

/** A step: one assistant message and what followed it (tool results, notes). */
interface Step {
  index: number;
  messages: Message[];
}

/**
 * Builds the request for `conversation` within `policy.budgetTokens`; throws
 * a `context_length` ModelError when even the smallest form does not fit.
 */
export function buildContext(
  conversation: readonly Message[],
  policy: ContextPolicy,
): ContextView {
  const budget = policy.budgetTokens;
  const recentResults = policy.recentToolResults ?? 4;
  const recentSteps = Math.max(1, policy.recentSteps ?? 4);
  const condenseAt = policy.condenseAt ?? 0.7;
  const calls = toolCallsById(conversation);
  const firstStep = conversation.findIndex((m) => m.role === "assistant");
  const head = firstStep < 0
    ? [...conversation]
    : conversation.slice(0, firstStep);
  const steps = splitSteps(firstStep < 0 ? [] : conversation.slice(firstStep));
  const measure = (messages: Message[]) =>
    countMessagesTokens(messages) + policy.toolsTokens;

  // Always: old outputs as stubs, old arguments shortened.
  let stubbed = 0;
  const stubAll = (keepResults: number, keepSteps: number): Step[] => {
    stubbed = 0;
    let resultsSeen = 0;
    const out: Step[] = [];
    for (let s = steps.length - 1; s >= 0; s--) {
      const step = steps[s]!;
      const old = steps.length - s > keepSteps;
      const messages: Message[] = [];
      for (let i = step.messages.length - 1; i >= 0; i--) {
        const message = step.messages[i]!;
        if (message.role === "tool") {
          resultsSeen++;
          if (resultsSeen > keepResults) {
            const stub = stubResult(message, calls);
            if (stub !== message) stubbed++;
            messages.unshift(stub);
            continue;
          }
        }
        messages.unshift(
          old && message.role === "assistant"
            ? shortenAssistant(message)
            : message,
        );
      }
      out.unshift({ index: step.index, messages });
    }
    return out;
  };

  const assemble = (
    headMessages: Message[],
    kept: Step[],
    condensed: Step[],
  ): Message[] => [
    ...headMessages,
    ...(condensed.length > 0 ? [condensedSummary(condensed, calls)] : []),
    ...kept.flatMap((s) => s.messages),
  ];

  let shaped = stubAll(recentResults, recentSteps);
  let messages = assemble(head, shaped, []);
  let tokens = measure(messages);
  if (tokens <= budget * condenseAt) {
    return { messages, tokens, stubbed, condensed: 0, cut: false };
  }

  // Near the budget: condense older steps, keeping fewer until under the
  // condense mark again (room to grow), else the most that fit the budget.
  let fit: ContextView | null = null;
  for (let keep = Math.min(recentSteps, steps.length); keep >= 1; keep--) {
    shaped = stubAll(recentResults, keep);
    const condensed = steps.slice(0, steps.length - keep);
    messages = assemble(head, shaped.slice(steps.length - keep), condensed);
    tokens = measure(messages);
    const view = {
      messages,
      tokens,
      stubbed,
      condensed: condensed.length,
      cut: false,
    };
    if (tokens <= budget * condenseAt) return view;
    if (tokens <= budget) fit ??= view;
  }
  if (fit) return fit;

  // Still too big: only the last step's latest result stays whole, then texts are cut.
  const lastSteps = steps.length > 0 ? 1 : 0;
  shaped = stubAll(Math.min(1, recentResults), lastSteps);
  const condensed = steps.slice(0, steps.length - lastSteps);
  const condensedCount = condensed.length;
  let headMessages = [...head];
  let kept = shaped.slice(shaped.length - lastSteps);
  messages = assemble(headMessages, kept, condensed);
  tokens = measure(messages);
  for (let round = 0; round < 6 && tokens > budget; round++) {
    const excess = tokens - budget;
    // Cut the longest text by what is over, in characters at its own rate
    // (at least 4 per token: one long run packs many more), plus slack.
    const all = [...headMessages, ...kept.flatMap((s) => s.messages)];
    const longest = all.reduce<Message | null>(
      (best, m) =>
        textLength(m) > (best ? textLength(best) : 0) &&
          (m.role === "tool" || m.role === "user")
          ? m
          : best,
      null,
    );
    if (!longest) break;
    const perToken = Math.max(
      4,
      textLength(longest) / Math.max(1, countMessageTokens(longest)),
    );
    const cutTo = Math.max(
      200,
      Math.floor(textLength(longest) - excess * perToken * 1.1 - 200),
    );
    const replacement = cutText(longest, cutTo);
    headMessages = headMessages.map((m) => (m === longest ? replacement : m));
    kept = kept.map((s) => ({
      ...s,
      messages: s.messages.map((m) => (m === longest ? replacement : m)),
    }));
    messages = assemble(headMessages, kept, condensed);
    tokens = measure(messages);
  }
  if (tokens > budget) {
    throw new ModelError(
      "context_length",
      `The conversation cannot be made to fit the context budget of ${budget} tokens ` +
        `(smallest form: ${tokens} tokens); raise AOS_CONTEXT_TOKENS or use a model with a larger window`,
    );
  }
  return { messages, tokens, stubbed, condensed: condensedCount, cut: true };
}

function splitSteps(messages: readonly Message[]): Step[] {
  const steps: Step[] = [];
  for (const message of messages) {
    if (message.role === "assistant" || steps.length === 0) {
      steps.push({ index: steps.length + 1, messages: [message] });
    } else {
      steps[steps.length - 1]!.messages.push(message);
    }
  }
  return steps;
}

interface CallInfo {
  name: string;
  arguments: string;
}

function toolCallsById(messages: readonly Message[]): Map<string, CallInfo> {
  const calls = new Map<string, CallInfo>();
  for (const message of messages) {
    if (message.role !== "assistant" || !message.tool_calls) continue;
    for (const call of message.tool_calls) {
      if (call.type !== "function") continue;
      calls.set(call.id, {
        name: call.function.name,
        arguments: call.function.arguments,
      });
    }
  }
  return calls;
}

function textOf(message: Message): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((
    p,
  ) => ("text" in p && typeof p.text === "string" ? p.text : ""))
    .join("");
}

function textLength(message: Message): number {
  return textOf(message).length;
}

/** A one-line stand-in for an old tool output. */
function stubResult(
  message: Extract<Message, { role: "tool" }>,
  calls: Map<string, CallInfo>,
): Message {
  const text = textOf(message);
  if (text.length < STUB_MIN_CHARS) return message;
  const call = calls.get(message.tool_call_id);
  const what = call
    ? `${call.name}(${briefArguments(call.arguments)})`
    : "tool";
  const lines = text.split("\n").length;
  return {
    role: "tool",
    tool_call_id: message.tool_call_id,
    content:
      `[${what}: output of ${lines} lines / ${text.length} characters omitted ` +
      `to save context; call the tool again if you need it. It began: ${
        firstLine(text, 100)
      }]`,
  };
}

/** An old assistant message with long argument strings (file contents) shortened, still valid JSON. */
function shortenAssistant(message: AssistantMessage): Message {
  if (!message.tool_calls) return message;
  let changed = false;
  const toolCalls = message.tool_calls.map((call) => {
    if (call.type !== "function") return call;
    const args = call.function.arguments;
    if (args.length <= OLD_ARGUMENT_CHARS) return call;
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      return call;
    }
    if (typeof parsed !== "object" || parsed === null) return call;
    const short: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parsed)) {
      short[key] =
        typeof value === "string" && value.length > OLD_ARGUMENT_CHARS
          ? `[${value.length} characters, sent earlier; omitted to save context]`
          : value;
    }
    changed = true;
    return {
      ...call,
      function: { ...call.function, arguments: JSON.stringify(short) },
    };
  });
  return changed ? { ...message, tool_calls: toolCalls } : message;
}

/** One user message standing for the condensed steps: each call and how it went, in one line. */
function condensedSummary(
  steps: Step[],
  calls: Map<string, CallInfo>,
): Message {
  const lines: string[] = [];
  const changed = new Set<string>();
  for (const step of steps) {
    for (const message of step.messages) {
      if (message.role === "assistant") {
        const said = textOf(message).trim();
        if (said) {
          lines.push(`Step ${step.index}: you said: ${firstLine(said, 160)}`);
        }
      } else if (message.role === "tool") {
        const call = calls.get(message.tool_call_id);
        const name = call?.name ?? "tool";
        lines.push(
          `Step ${step.index}: ${name}(${
            briefArguments(call?.arguments ?? "")
          }) → ${firstLine(textOf(message), 140)}`,
        );
        const path = pathArgument(call?.arguments);
        if (
          path && ["write_file", "edit_file", "delete_file"].includes(name) &&
          !textOf(message).startsWith("Error")
        ) changed.add(path);
      }
    }
  }
  const changes = changed.size > 0
    ? `\nFiles you changed in those steps (still changed): ${
      [...changed].join(", ")
    }`
    : "";
  return {
    role: "user",
    content:
      `[Steps ${steps[0]!.index}-${
        steps.at(-1)!.index
      } condensed to save context; ` +
      `their changes are kept. Read files again where you need their content.]\n` +
      lines.join("\n") + changes,
  };
}

function pathArgument(args: string | undefined): string | null {
  if (!args) return null;
  try {
    const parsed = JSON.parse(args) as { path?: unknown };
    return typeof parsed.path === "string" ? parsed.path : null;
  } catch {
    return null;
  }
}

/** Arguments in a few characters: long strings cut. */
function briefArguments(args: string): string {
  let text = args;
  try {
    const parsed = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null) {
      text = Object.entries(parsed).map(([k, v]) => {
        const value = typeof v === "string" ? v : JSON.stringify(v);
        return `${k}=${
          value.length > 60
            ? `${value.slice(0, 60)}…(${value.length} chars)`
            : value
        }`;
      }).join(", ");
    }
  } catch { /* shown as sent */ }
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

function firstLine(text: string, max: number): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A message with its text cut to `chars`, head and tail kept, with a marker. */
function cutText(message: Message, chars: number): Message {
  const text = textOf(message);
  if (text.length <= chars) return message;
  const headChars = Math.floor(chars * 0.6);
  const tailChars = Math.max(0, chars - headChars);
  const content = `${text.slice(0, headChars)}\n[… ${
    text.length - headChars - tailChars
  } characters cut to fit the context budget …]\n${
    text.slice(text.length - tailChars)
  }`;
  return { ...message, content } as Message;
}
