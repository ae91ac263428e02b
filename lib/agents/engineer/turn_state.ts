/**
 * The SE turn's state and how each journal entry folds into it: one function
 * per entry type, the same for a live entry and a replayed one, so a resumed
 * turn rebuilds exactly the state the first attempt had.
 */
import {
  addUsage,
  type ChatCompletionMessageParam,
  emptyUsage,
  type TokenUsage,
} from "../../llm/mod.ts";
import type { EngineerLimits } from "./prompt.ts";
import {
  type AgentEvent,
  type AgentExchange,
  type AgentToolCall,
  capText,
} from "../conversation.ts";
import { applyDelta, type PacketState, type TurnEntry } from "./journal.ts";

const NUDGE =
  "You replied without calling a tool. Use the tools to work on the task (read, edit or run); call finish with a summary when done. " +
  'If your tool calls do not arrive, write each one as <tool_call>{"name": "write_file", "arguments": {"path": "…", "content": "…"}}</tool_call>.';

/**
 * The temperature a request is sent again with after an empty reply: the
 * endpoint's default (greedy on llama.cpp-based servers) would give the same
 * empty reply to the same prompt.
 */
export const EMPTY_RETRY_TEMPERATURE = 0.7;
/**
 * Said once after an empty reply (the empty turn itself is never shown: a
 * small model copies it). A 1.5B model that answered a tool result with
 * nothing answers a user's line.
 */
export const EMPTY_NUDGE =
  "Your reply was empty. Continue the task: call the next tool, or finish when it is done.";
/** The turn as its entries left it. */
export interface TurnState {
  messages: ChatCompletionMessageParam[];
  exchanges: AgentExchange[];
  usage: TokenUsage;
  steps: number;
  silentReplies: number;
  /** The last reply was empty: the next request is sent at EMPTY_RETRY_TEMPERATURE. */
  lastEmpty: boolean;
  /** Calls of the last reply that have no result yet. */
  pending: AgentToolCall[];
  lastFinishReason: string | null;
  summary: string | null;
  events: AgentEvent[];
  packet: PacketState;
  shrinkBudget: number | null;
  shrinks: number;
  warned: boolean;
  /** Tool calls that ran (a tool's own error counts; unknown tools and bad arguments do not). */
  validCalls: number;
  /** The last reason a call was refused, for the failure message. */
  lastInvalid: string | null;
  /** Instructions files the SE has been shown (the prompt's, then each directory's once). */
  shownInstructions: Set<string>;
  /** finish calls answered with failing acceptance commands (compact profile). */
  finishChecks: number;
  /** Files the first message shows whole (compact profile). */
  shownFiles: Set<string>;
}

/** A turn before its first entry; `shown` are the instructions files the prompt carries. */
export function newTurnState(shown: Iterable<string>): TurnState {
  return {
    messages: [],
    exchanges: [],
    usage: emptyUsage(),
    steps: 0,
    silentReplies: 0,
    lastEmpty: false,
    pending: [],
    lastFinishReason: null,
    summary: null,
    events: [],
    packet: new Map(),
    shrinkBudget: null,
    shrinks: 0,
    warned: false,
    validCalls: 0,
    shownInstructions: new Set(shown),
    lastInvalid: null,
    finishChecks: 0,
    shownFiles: new Set(),
  };
}

/** What folding an entry needs besides the state. */
export interface FoldContext {
  limits: EngineerLimits;
  redact: (s: string) => string;
}

type Entry<K extends TurnEntry["type"]> = Extract<TurnEntry, { type: K }>;

/** One fold per entry type; an entry type without one does not compile. */
const FOLDS: {
  [K in TurnEntry["type"]]: (
    state: TurnState,
    entry: Entry<K>,
    ctx: FoldContext,
  ) => void;
} = {
  start: (state, entry) => {
    state.messages.push(...entry.messages);
    for (const path of entry.shown ?? []) state.shownFiles.add(path);
  },
  reply: foldReply,
  empty: foldEmpty,
  tool: foldTool,
  shrink: (state, entry) => {
    state.shrinks++;
    state.shrinkBudget = entry.budget_tokens;
    state.events.push({
      kind: "SE_CONTEXT_SHRUNK",
      level: "WARN",
      payload: { budget_tokens: entry.budget_tokens, reason: entry.message },
    });
  },
};

/** Folds one entry into the state: the same for a live entry and a replayed one. */
export function applyEntry(
  state: TurnState,
  entry: TurnEntry,
  ctx: FoldContext,
): void {
  (FOLDS[entry.type] as (s: TurnState, e: TurnEntry, c: FoldContext) => void)(
    state,
    entry,
    ctx,
  );
}

/** A model reply: counts it, records its calls as pending, nudges a reply without any. */
function foldReply(
  state: TurnState,
  entry: Entry<"reply">,
  { limits, redact }: FoldContext,
): void {
  state.steps++;
  state.lastEmpty = false;
  state.usage = addUsage(state.usage, entry.usage);
  state.exchanges.push({
    request_tokens: entry.request_tokens,
    usage: entry.usage,
    finish_reason: entry.finish_reason,
    stubbed: entry.stubbed,
    condensed: entry.condensed,
    ...(entry.usage_estimated ? { usage_estimated: true } : {}),
    ...(entry.text_tool_calls
      ? {
        text_tool_calls: entry.text_tool_calls,
        raw_content: entry.raw_content ?? "",
      }
      : {}),
  });
  state.messages.push(entry.message);
  state.lastFinishReason = entry.finish_reason;
  const message = entry.message as {
    tool_calls?: unknown;
    content?: unknown;
  };
  const calls = Array.isArray(message.tool_calls)
    ? (message.tool_calls as {
      id: string;
      function: { name: string; arguments: string };
    }[]).map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }))
    : [];
  state.pending = calls;
  if (entry.text_tool_calls) {
    state.events.push({
      kind: "TOOL_CALLS_IN_TEXT",
      level: "WARN",
      payload: {
        agent: "se",
        step: state.steps,
        tools: calls.map((c) => c.name),
      },
    });
  }
  const truncated = entry.finish_reason === "length";
  if (truncated) {
    state.events.push({
      kind: "SE_TRUNCATED",
      level: "WARN",
      payload: {
        step: state.steps,
        max_output_tokens: limits.maxOutputTokens,
      },
    });
  }
  if (calls.length > 0) {
    state.silentReplies = 0;
    return;
  }
  state.silentReplies++;
  state.events.push({
    kind: "SE_NO_TOOL_CALL",
    level: "WARN",
    payload: {
      step: state.steps,
      in_a_row: state.silentReplies,
      content: redact(capText(String(message.content ?? ""), 500)),
    },
  });
  state.messages.push({
    role: "user",
    content: truncated
      ? `Your reply was cut off at the output-token limit${
        limits.maxOutputTokens ? ` (${limits.maxOutputTokens} tokens)` : ""
      }. Keep replies short and make smaller changes per call (edit_file with a short old_text). ${NUDGE}`
      : NUDGE,
  });
}

/** An empty reply: counted, kept out of the conversation, answered once with EMPTY_NUDGE. */
function foldEmpty(state: TurnState, entry: Entry<"empty">): void {
  state.steps++;
  state.usage = addUsage(state.usage, entry.usage);
  state.exchanges.push({
    request_tokens: entry.request_tokens,
    usage: entry.usage,
    finish_reason: entry.finish_reason,
    stubbed: entry.stubbed,
    condensed: entry.condensed,
    ...(entry.usage_estimated ? { usage_estimated: true } : {}),
    empty: true,
  });
  state.silentReplies++;
  state.lastEmpty = true;
  if (state.messages.at(-1)?.content !== EMPTY_NUDGE) {
    state.messages.push({ role: "user", content: EMPTY_NUDGE });
  }
  state.events.push({
    kind: "SE_NO_TOOL_CALL",
    level: "WARN",
    payload: {
      step: state.steps,
      in_a_row: state.silentReplies,
      content: "",
      empty: true,
      retry_temperature: EMPTY_RETRY_TEMPERATURE,
    },
  });
}

/** A tool result: answers its call, applies its changes, warns when few steps are left. */
function foldTool(
  state: TurnState,
  entry: Entry<"tool">,
  { limits }: FoldContext,
): void {
  state.messages.push({
    role: "tool",
    tool_call_id: entry.call_id,
    content: entry.content,
  });
  state.pending = state.pending.filter((c) => c.id !== entry.call_id);
  if (entry.packet) applyDelta(state.packet, entry.packet);
  if (entry.finish !== undefined) state.summary = entry.finish;
  if (entry.finish_check) {
    state.finishChecks++;
    state.events.push({
      kind: "SE_FINISH_CHECKED",
      level: "INFO",
      payload: { step: state.steps, checks: state.finishChecks },
    });
  }
  if (
    entry.instructions && !state.shownInstructions.has(entry.instructions)
  ) {
    state.shownInstructions.add(entry.instructions);
    state.events.push({
      kind: "INSTRUCTIONS",
      level: "INFO",
      payload: { files: [entry.instructions], nested: true },
    });
  }
  if (!entry.error || entry.error === "tool_error") state.validCalls++;
  else state.lastInvalid = capText(entry.content, 300);
  if (entry.error) {
    state.events.push({
      kind: "SE_TOOL_ERROR",
      level: "WARN",
      payload: {
        tool: entry.name,
        reason: entry.error,
        error: capText(entry.content, 500),
      },
    });
  }
  const left = limits.maxToolSteps - state.steps;
  if (
    state.pending.length === 0 && state.summary === null && !state.warned &&
    left > 0 && left <= limits.warnSteps
  ) {
    state.warned = true;
    state.messages.push({
      role: "user",
      content:
        `Note: ${left} tool-call step${
          left === 1 ? "" : "s"
        } left of ${limits.maxToolSteps} (max_tool_steps). ` +
        "Finish soon: verify your change if you can, then call finish with a summary. " +
        "If the turn ends without finish, your changes so far are still applied.",
    });
  }
}
