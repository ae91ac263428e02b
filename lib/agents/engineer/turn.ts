/**
 * The Software Engineer's turn: a tool-calling loop over its workspace that
 * ends at `finish`, or softly at a limit (steps, the run's token budget, a
 * model that stops calling tools) with the changes made so far. Every reply
 * and tool result goes through the journal first, so a turn started again
 * replays it and repeats at most the one model call in flight.
 */
import { nestedInstructions, type ReadText } from "./nested_instructions.ts";
import { type InstructionsFile, instructionsSection } from "../instructions.ts";
import {
  addUsage,
  type ChatCompletionMessageParam,
  type ChatCompletionTool,
  emptyUsage,
  type ModelClient,
  ModelError,
  type ModelObserver,
  type TokenUsage,
} from "../../llm/client.ts";
import { countToolsTokens } from "../../llm/tokens.ts";
import {
  type EngineerLimits,
  engineerSystemPrompt,
  engineerUserMessage,
  type PreviousIteration,
} from "./prompt.ts";
import { type EngineerWorkspace, executeTool, toolsFor } from "./tools.ts";
import {
  type AgentEvent,
  type AgentExchange,
  type AgentTask,
  type AgentToolCall,
  type AgentTranscript,
  assistantMessage,
  capText,
  keepingPartial,
} from "../conversation.ts";
import { buildContext } from "../context.ts";
import { type SeStep, stepSummary } from "./step_summary.ts";
import { replyCalls } from "../reply_calls.ts";
import { replyUsage } from "../reply_usage.ts";
import {
  applyDelta,
  MemoryJournal,
  packetDelta,
  type PacketState,
  packetState,
  type TurnEntry,
  type TurnJournal,
} from "./journal.ts";

export { type EngineerWorkspace, SE_TOOLS } from "./tools.ts";
export type { SeStep } from "./step_summary.ts";
export type {
  AgentEvent,
  AgentTask,
  AgentTranscript,
} from "../conversation.ts";

/** A system prompt followed by the repository's instructions, when there are any. */
function withInstructions(prompt: string, section: string): string {
  return section === "" ? prompt : `${prompt}\n\n${section}`;
}

/** Options of `runEngineerTurn`. */
export interface EngineerTurnOptions {
  client: ModelClient;
  workspace: EngineerWorkspace;
  task: AgentTask;
  contextFiles: { path: string; content: string }[];
  /** The repository's instructions files (shown capped in the system prompt). */
  instructions?: readonly InstructionsFile[];
  iteration: number;
  previous?: PreviousIteration | undefined;
  /** Model round trips allowed in this turn. */
  maxToolSteps: number;
  /** Tokens left for this run; no request is sent that would pass them. */
  tokenBudget: number;
  /** The model's context window in tokens (default 128000); no request is built larger. */
  contextTokens?: number;
  /** Where replies and tool results are persisted as they happen (default: memory only). */
  journal?: TurnJournal;
  /** What bounds run_command, in words, for the prompt. */
  commandLimits?: string;
  signal?: AbortSignal;
  /** Applied to everything sent to the model and to the summary and events. */
  redact?: (s: string) => string;
  /** Hears of model retries and of each call's progress while it is in flight. */
  observer?: ModelObserver;
  /** Hears of each tool call as it ends (not of calls replayed from the journal). */
  onStep?: (step: SeStep) => void;
}

/** Why a turn ended. */
export type TurnEnd =
  | "finish"
  | "max_tool_steps"
  | "token_budget"
  | "no_tool_calls";

/** What one SE turn produced. */
export interface EngineerResult {
  packet: { writes: { path: string; content: string }[]; deletes: string[] };
  summary: string;
  usage: TokenUsage;
  transcript: AgentTranscript;
  events: AgentEvent[];
  ended: TurnEnd;
  /** Model replies in this turn. */
  steps: number;
}

/** Consecutive replies without a tool call tolerated before the turn ends. */
const MAX_SILENT_REPLIES = 3;
/** Steps before the limit at which the SE is warned. */
export const WARN_STEPS = 3;
/** Times a request is rebuilt smaller after the endpoint said it was too long. */
const MAX_SHRINKS = 3;
/** Longest tool result kept in the conversation. */
const MAX_TOOL_RESULT_CHARS = 60_000;
/** Share of (window − output cap) a request may fill: tokenizers differ between models. */
const CONTEXT_MARGIN = 0.9;

const NUDGE =
  "You replied without calling a tool. Use the tools to work on the task (read, edit or run); call finish with a summary when done. " +
  'If your tool calls do not arrive, write each one as <tool_call>{"name": "write_file", "arguments": {"path": "…", "content": "…"}}</tool_call>.';

/** The turn as its entries left it. */
interface TurnState {
  messages: ChatCompletionMessageParam[];
  exchanges: AgentExchange[];
  usage: TokenUsage;
  steps: number;
  silentReplies: number;
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
}

/**
 * Runs (or resumes, from its journal) the SE's turn. Limits end it softly
 * with the packet so far; failures of the model API throw a `ModelError`
 * carrying what the turn used and said (`partial`).
 */
export async function runEngineerTurn(
  opts: EngineerTurnOptions,
): Promise<EngineerResult> {
  const state: TurnState = {
    messages: [],
    exchanges: [],
    usage: emptyUsage(),
    steps: 0,
    silentReplies: 0,
    pending: [],
    lastFinishReason: null,
    summary: null,
    events: [],
    packet: new Map(),
    shrinkBudget: null,
    shrinks: 0,
    warned: false,
    validCalls: 0,
    shownInstructions: new Set((opts.instructions ?? []).map((f) => f.path)),
    lastInvalid: null,
  };
  return await keepingPartial(() => engineerLoop(opts, state), () => ({
    usage: state.usage,
    transcript: { messages: state.messages, exchanges: state.exchanges },
  }));
}

async function engineerLoop(
  opts: EngineerTurnOptions,
  state: TurnState,
): Promise<EngineerResult> {
  const redact = opts.redact ?? ((s: string) => s);
  const { workspace, client } = opts;
  const journal = opts.journal ?? new MemoryJournal();
  const tools: ChatCompletionTool[] = toolsFor(workspace);
  const limits: EngineerLimits = {
    maxToolSteps: opts.maxToolSteps,
    warnSteps: WARN_STEPS,
    maxOutputTokens: client.maxOutputTokens,
    runCommand: tools.some((t) =>
      t.type === "function" && t.function.name === "run_command"
    ),
    commandLimits: opts.commandLimits,
  };
  const apply = (entry: TurnEntry) => applyEntry(state, entry, limits, redact);
  const record = async (entry: TurnEntry) => {
    await journal.append(entry);
    apply(entry);
  };
  for (const entry of await journal.load()) apply(entry);
  if (state.messages.length === 0) {
    await record({
      type: "start",
      messages: [
        {
          role: "system",
          content: withInstructions(
            engineerSystemPrompt(opts.task, limits),
            instructionsSection(opts.instructions ?? [], { canRead: true }),
          ),
        },
        {
          role: "user",
          content: redact(engineerUserMessage({
            task: opts.task,
            layout: await workspace.layout(),
            contextFiles: opts.contextFiles,
            iteration: opts.iteration,
            previous: opts.previous,
          })),
        },
      ],
    });
  }
  const window = opts.contextTokens ?? 128_000;
  const budget = Math.floor(
    (window - (client.maxOutputTokens ?? 0)) * CONTEXT_MARGIN,
  );
  const toolsTokens = countToolsTokens(tools);
  const toolNames = new Set(
    tools.flatMap((t) => t.type === "function" ? [t.function.name] : []),
  );

  while (true) {
    for (const call of [...state.pending]) {
      if (opts.signal?.aborted) {
        throw new ModelError("cancelled", "SE turn was cancelled");
      }
      const started = performance.now();
      const entry = await runCall(opts, state, call, redact);
      await record(entry);
      opts.onStep?.(stepSummary({
        step: state.steps,
        tool: call.name,
        rawArguments: call.arguments,
        error: entry.type === "tool" ? entry.error : undefined,
        durationMs: performance.now() - started,
        redact,
      }));
    }
    if (state.summary !== null) return result(opts, state, "finish");
    if (state.silentReplies >= MAX_SILENT_REPLIES) {
      if (state.validCalls === 0) throw noToolCallError(opts, state, "silent");
      return result(opts, state, "no_tool_calls");
    }
    if (state.steps >= opts.maxToolSteps) {
      if (state.validCalls === 0) throw noToolCallError(opts, state, "invalid");
      return result(opts, state, "max_tool_steps");
    }
    const view = buildContext(state.messages, {
      budgetTokens: Math.min(budget, state.shrinkBudget ?? budget),
      toolsTokens,
    });
    if (state.usage.total_tokens + view.tokens > opts.tokenBudget) {
      return result(opts, state, "token_budget");
    }
    let reply;
    try {
      reply = await client.chat({
        messages: view.messages,
        tools,
        toolChoice: "auto",
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.observer ? { observer: opts.observer } : {}),
      });
    } catch (error) {
      if (
        error instanceof ModelError && error.kind === "context_length" &&
        state.shrinks < MAX_SHRINKS
      ) {
        await record({
          type: "shrink",
          budget_tokens: Math.floor(view.tokens * 0.7),
          message: redact(error.message),
        });
        continue;
      }
      throw error;
    }
    const { calls, message, fromText } = replyCalls(
      reply.message,
      toolNames,
      `call_se_${state.steps + 1}`,
    );
    const spent = replyUsage(reply, view.tokens);
    await record({
      type: "reply",
      message: assistantMessage(message, calls),
      usage: spent.usage,
      ...(spent.estimated ? { usage_estimated: true } : {}),
      finish_reason: reply.finishReason,
      request_tokens: view.tokens,
      stubbed: view.stubbed,
      condensed: view.condensed,
      ...(fromText !== null
        ? { text_tool_calls: calls.length, raw_content: fromText }
        : {}),
    });
  }
}

/** Executes one tool call against the workspace and says what it changed. */
async function runCall(
  opts: EngineerTurnOptions,
  state: TurnState,
  call: AgentToolCall,
  redact: (s: string) => string,
): Promise<TurnEntry> {
  const base = { type: "tool" as const, call_id: call.id, name: call.name };
  if (state.summary !== null) {
    return { ...base, content: "Not executed: finish was already called" };
  }
  if (state.lastFinishReason === "length" && !parses(call.arguments)) {
    return {
      ...base,
      error: "truncated",
      content:
        `Error: your reply was cut off at the output-token limit${
          opts.client.maxOutputTokens
            ? ` (${opts.client.maxOutputTokens} tokens)`
            : ""
        }, so the arguments of this ${call.name} call are incomplete; nothing was done. ` +
        "Make smaller changes per call: edit_file with a short old_text and new_text, " +
        "or write a small file first and extend it with edit_file.",
    };
  }
  const outcome = await executeTool(opts.workspace, call.name, call.arguments, {
    signal: opts.signal,
  });
  if (outcome.kind === "finish") {
    return {
      ...base,
      content: "Turn finished; your changes will be applied and checked.",
      finish: redact(outcome.summary.trim() || "(no summary)"),
    };
  }
  const delta = packetDelta(state.packet, packetState(opts.workspace.packet()));
  const counters = workspaceCounters(opts.workspace);
  const nested = outcome.kind === "result"
    ? await nestedFor(opts.workspace, call, state.shownInstructions)
    : null;
  return {
    ...base,
    content: redact(capText(outcome.text, MAX_TOOL_RESULT_CHARS)) +
      (nested ? `\n\n${redact(nested.note)}` : ""),
    ...(nested ? { instructions: nested.path } : {}),
    ...(outcome.kind === "error" ? { error: outcome.reason } : {}),
    ...(delta ? { packet: delta } : {}),
    ...(counters !== undefined ? { workspace: counters } : {}),
  };
}

/** The nearest unseen AGENTS.md above the file a write_file or edit_file changed. */
async function nestedFor(
  workspace: EngineerWorkspace,
  call: AgentToolCall,
  shown: ReadonlySet<string>,
): Promise<{ path: string; note: string } | null> {
  if (call.name !== "write_file" && call.name !== "edit_file") return null;
  const read = (workspace as { readText?: ReadText }).readText;
  if (typeof read !== "function") return null;
  let path: unknown;
  try {
    path = (JSON.parse(call.arguments) as { path?: unknown }).path;
  } catch {
    return null;
  }
  if (typeof path !== "string") return null;
  return await nestedInstructions(path, read.bind(workspace), shown);
}

/** Commands and seconds a working copy has used (when it counts them), for a resumed turn. */
function workspaceCounters(workspace: EngineerWorkspace): unknown {
  const counted = workspace as { commandUsage?: () => unknown };
  return typeof counted.commandUsage === "function"
    ? counted.commandUsage()
    : undefined;
}

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}

/** Folds one entry into the state: the same for a live entry and a replayed one. */
function applyEntry(
  state: TurnState,
  entry: TurnEntry,
  limits: EngineerLimits,
  redact: (s: string) => string,
): void {
  switch (entry.type) {
    case "start":
      state.messages.push(...entry.messages);
      return;
    case "reply": {
      state.steps++;
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
      return;
    }
    case "tool": {
      state.messages.push({
        role: "tool",
        tool_call_id: entry.call_id,
        content: entry.content,
      });
      state.pending = state.pending.filter((c) => c.id !== entry.call_id);
      if (entry.packet) applyDelta(state.packet, entry.packet);
      if (entry.finish !== undefined) state.summary = entry.finish;
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
      return;
    }
    case "shrink":
      state.shrinks++;
      state.shrinkBudget = entry.budget_tokens;
      state.events.push({
        kind: "SE_CONTEXT_SHRUNK",
        level: "WARN",
        payload: { budget_tokens: entry.budget_tokens, reason: entry.message },
      });
      return;
  }
}

/**
 * The turn made no usable tool call at all: the model may not support tool
 * calling, or its server does not parse the calls. Nothing could have
 * changed, so the run fails now with that said, instead of going on.
 */
function noToolCallError(
  opts: EngineerTurnOptions,
  state: TurnState,
  why: "silent" | "invalid",
): ModelError {
  const who = `The SE model '${opts.client.model}' at ${opts.client.endpoint}`;
  const message = why === "silent"
    ? `${who} answered ${state.silentReplies} times without a tool call; does it support tool calling? ` +
      "(Serve it with tool-call parsing, e.g. llama.cpp's --jinja or vLLM's --enable-auto-tool-choice, or use a model that calls tools)"
    : `${who} made no valid tool call in ${state.steps} replies (max_tool_steps); the last one was refused with: ${
      state.lastInvalid ?? "(no reason)"
    }`;
  const error = new ModelError("no_tool_call", message);
  error.partial = {
    usage: state.usage,
    transcript: { messages: state.messages, exchanges: state.exchanges },
    events: [...state.events, {
      kind: "SE_TURN_LIMIT",
      level: "ERROR",
      payload: {
        reason: why === "silent" ? "no_tool_calls" : "no_valid_tool_call",
        steps: state.steps,
        message,
      },
    }],
  };
  return error;
}

/** The turn's result; a turn ended by a limit says so in its summary and an event. */
function result(
  opts: EngineerTurnOptions,
  state: TurnState,
  ended: TurnEnd,
): EngineerResult {
  const events = [...state.events];
  let summary = state.summary ?? "";
  if (ended !== "finish") {
    const why = {
      max_tool_steps:
        `the step limit of ${opts.maxToolSteps} tool-call steps (max_tool_steps) was reached`,
      token_budget:
        `the next request would pass the run's token budget (max_total_tokens; ${
          Math.max(0, opts.tokenBudget - state.usage.total_tokens)
        } tokens were left)`,
      no_tool_calls:
        `the model replied ${MAX_SILENT_REPLIES} times in a row without calling a tool`,
    }[ended];
    summary =
      `Turn ended before finish: ${why}; the changes made so far are applied.`;
    events.push({
      kind: "SE_TURN_LIMIT",
      level: "WARN",
      payload: { reason: ended, steps: state.steps, message: summary },
    });
  }
  return {
    packet: opts.workspace.packet(),
    summary,
    usage: state.usage,
    transcript: { messages: state.messages, exchanges: state.exchanges },
    events,
    ended,
    steps: state.steps,
  };
}
