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
  type ChatCompletionTool,
  countToolsTokens,
  type ModelClient,
  ModelError,
  type ModelObserver,
  type TokenUsage,
} from "../../llm/mod.ts";
import {
  type EngineerLimits,
  engineerSystemPrompt,
  engineerUserMessage,
  type PreviousIteration,
} from "./prompt.ts";
import {
  type EngineerWorkspace,
  executeTool,
  type ExternalTools,
  toolsFor,
} from "./tools.ts";
import {
  type AgentEvent,
  type AgentTask,
  type AgentToolCall,
  type AgentTranscript,
  assistantMessage,
  capText,
  keepingPartial,
} from "../conversation.ts";
import { buildContext } from "../context.ts";
import {
  acceptanceNow,
  compactSystemPrompt,
  failingBeforeFinish,
  filesNamedIn,
  FINISH_CHECKS,
  profileFor,
} from "./compact.ts";
import { type SeStep, stepSummary } from "./step_summary.ts";
import { replyCalls } from "../reply_calls.ts";
import { replyUsage } from "../reply_usage.ts";
import {
  MemoryJournal,
  packetDelta,
  packetState,
  type TurnEntry,
  type TurnJournal,
} from "./journal.ts";
import {
  applyEntry,
  EMPTY_RETRY_TEMPERATURE,
  newTurnState,
  type TurnState,
} from "./turn_state.ts";

export { EMPTY_NUDGE, EMPTY_RETRY_TEMPERATURE } from "./turn_state.ts";

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

/** The work order's context files, then the files the task names (compact profile). */
async function withNamedFiles(
  task: AgentTask,
  contextFiles: { path: string; content: string }[],
  workspace: EngineerWorkspace,
): Promise<{ path: string; content: string }[]> {
  const readText = (workspace as {
    readText?: (p: string) => Promise<{ content: string }>;
  }).readText;
  const read = async (path: string): Promise<string | null> => {
    if (contextFiles.some((f) => f.path === path)) return null;
    try {
      return typeof readText === "function"
        ? (await readText.call(workspace, path)).content
        : await workspace.readFile(path);
    } catch {
      // Not a file of the repository (or unreadable): the name was just text.
      return null;
    }
  };
  const named = await filesNamedIn(`${task.title}\n${task.body}`, read);
  return [...contextFiles, ...named];
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
  /** Dollars left for this run (`max_cost_usd`), and how this turn's usage is priced. */
  costBudget?: { leftUsd: number; costOf: (usage: TokenUsage) => number };
  /** Epoch ms after which no model call starts (`on_budget: pause` and `max_wall_time_s`). */
  deadlineAt?: number;
  /** A budget reached pauses the turn (its journal kept, to go on) instead of ending it. */
  pauseAtBudget?: boolean;
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
  /**
   * Tools beyond the table (the work order's MCP servers), with what the
   * model is told about them (`notes`, appended to the system prompt).
   */
  external?: (ExternalTools & { notes?: string }) | undefined;
}

/** Why a turn ended. */
export type TurnEnd =
  | "finish"
  | "max_tool_steps"
  | "token_budget"
  | "cost_budget"
  | "wall_time"
  | "no_tool_calls";

/** The ends that are a budget: with `pauseAtBudget` they pause the turn instead. */
export type BudgetEnd = "token_budget" | "cost_budget" | "wall_time";

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
  /** A budget stopped the turn with `pauseAtBudget`: it is to be resumed, not applied. */
  paused?: BudgetEnd;
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

/**
 * Runs (or resumes, from its journal) the SE's turn. Limits end it softly
 * with the packet so far; failures of the model API throw a `ModelError`
 * carrying what the turn used and said (`partial`).
 */
export async function runEngineerTurn(
  opts: EngineerTurnOptions,
): Promise<EngineerResult> {
  const state = newTurnState(
    (opts.instructions ?? []).map((f) => f.path),
  );
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
  const profile = profileFor(opts.contextTokens);
  const tools: ChatCompletionTool[] = toolsFor(
    workspace,
    profile,
    opts.external,
  );
  const limits: EngineerLimits = {
    maxToolSteps: opts.maxToolSteps,
    warnSteps: WARN_STEPS,
    maxOutputTokens: client.maxOutputTokens,
    runCommand: tools.some((t) =>
      t.type === "function" && t.function.name === "run_command"
    ),
    commandLimits: opts.commandLimits,
  };
  const apply = (entry: TurnEntry) =>
    applyEntry(state, entry, { limits, redact });
  const record = async (entry: TurnEntry) => {
    await journal.append(entry);
    apply(entry);
  };
  for (const entry of await journal.load()) apply(entry);
  if (state.messages.length === 0) {
    const contextFiles = profile === "compact"
      ? await withNamedFiles(opts.task, opts.contextFiles, workspace)
      : opts.contextFiles;
    await record({
      type: "start",
      ...(profile === "compact"
        ? {
          shown: contextFiles.filter((f) => f.content.length <= SHOWN_CHARS)
            .map((f) => f.path),
        }
        : {}),
      messages: [
        {
          role: "system",
          content: withInstructions(
            withInstructions(
              profile === "compact"
                ? compactSystemPrompt(opts.task, limits)
                : engineerSystemPrompt(opts.task, limits),
              instructionsSection(opts.instructions ?? [], { canRead: true }),
            ),
            redact(opts.external?.notes ?? ""),
          ),
        },
        {
          role: "user",
          content: redact(engineerUserMessage({
            task: opts.task,
            layout: await workspace.layout(),
            contextFiles,
            iteration: opts.iteration,
            previous: opts.previous,
            profile,
            checksNow: profile === "compact" && opts.iteration === 1
              ? await acceptanceNow(
                opts.task.acceptanceCommands,
                workspace.runCommand &&
                  ((command: string) =>
                    workspace.runCommand!(command, { signal: opts.signal })),
              )
              : null,
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
    const stop = budgetStop(opts, state.usage, view.tokens);
    if (stop !== null) return result(opts, state, stop);
    let reply;
    try {
      reply = await client.chat({
        messages: view.messages,
        tools,
        toolChoice: "auto",
        ...(state.lastEmpty ? { temperature: EMPTY_RETRY_TEMPERATURE } : {}),
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
    if (calls.length === 0 && isBlank(message.content)) {
      await record({
        type: "empty",
        usage: spent.usage,
        ...(spent.estimated ? { usage_estimated: true } : {}),
        finish_reason: reply.finishReason,
        request_tokens: view.tokens,
        stubbed: view.stubbed,
        condensed: view.condensed,
      });
      continue;
    }
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

/** The budget the next request (of `requestTokens`) would pass, checked before it is sent. */
function budgetStop(
  opts: EngineerTurnOptions,
  used: TokenUsage,
  requestTokens: number,
): BudgetEnd | null {
  if (used.total_tokens + requestTokens > opts.tokenBudget) {
    return "token_budget";
  }
  const cost = opts.costBudget;
  if (
    cost && cost.costOf({
        ...used,
        prompt_tokens: used.prompt_tokens + requestTokens,
        total_tokens: used.total_tokens + requestTokens,
      }) > cost.leftUsd
  ) return "cost_budget";
  if (opts.deadlineAt !== undefined && Date.now() >= opts.deadlineAt) {
    return "wall_time";
  }
  return null;
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
  const shown = shownAgain(state, call);
  if (shown !== null) return { ...base, content: shown };
  const outcome = await executeTool(opts.workspace, call.name, call.arguments, {
    signal: opts.signal,
    external: opts.external,
    plainRead: profileFor(opts.contextTokens) === "compact",
  });
  if (outcome.kind === "finish") {
    const failing = profileFor(opts.contextTokens) === "compact" &&
        state.finishChecks < FINISH_CHECKS
      ? await failingBeforeFinish(
        opts.task.acceptanceCommands,
        opts.workspace.runCommand &&
          ((command: string) =>
            opts.workspace.runCommand!(command, { signal: opts.signal })),
      )
      : null;
    if (failing !== null) {
      return {
        ...base,
        content: redact(capText(failing, MAX_TOOL_RESULT_CHARS)),
        finish_check: true,
        ...workspaceEntry(opts.workspace),
      };
    }
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

/** Files up to this long that the first message shows count as shown whole (prompt.ts caps at 40,000). */
const SHOWN_CHARS = 12_000;

/**
 * The answer to a whole-file read (read_file or list_files) of a file the
 * first message shows and no call has changed since (compact profile), or
 * null. Qwen2.5-Coder-1.5B re-read such files and then wrote the result's
 * own wrapping ("<tool_response>") into the file as its next call
 * (bench/RESULTS.md); this points it at the change instead.
 */
function shownAgain(state: TurnState, call: AgentToolCall): string | null {
  if (
    state.shownFiles.size === 0 ||
    (call.name !== "read_file" && call.name !== "list_files")
  ) return null;
  let args: { path?: unknown; start_line?: unknown; end_line?: unknown };
  try {
    args = JSON.parse(call.arguments);
  } catch {
    return null;
  }
  if (typeof args?.path !== "string") return null;
  if (args.start_line !== undefined || args.end_line !== undefined) return null;
  const path = args.path.replace(/^\.\//, "");
  if (!state.shownFiles.has(path) || state.packet.has(path)) return null;
  return `${path} has not changed since the first message, which shows it whole under "## ${path}". ` +
    "Do not read it again: change it now with edit_file (old_text: lines copied from it).";
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

/** The workspace counters for a journal entry, when the working copy counts them. */
function workspaceEntry(workspace: EngineerWorkspace): { workspace?: unknown } {
  const counters = workspaceCounters(workspace);
  return counters !== undefined ? { workspace: counters } : {};
}

/** Commands and seconds a working copy has used (when it counts them), for a resumed turn. */
function workspaceCounters(workspace: EngineerWorkspace): unknown {
  const counted = workspace as { commandUsage?: () => unknown };
  return typeof counted.commandUsage === "function"
    ? counted.commandUsage()
    : undefined;
}

/** Whether a reply's content holds no text at all (whitespace only, or none). */
function isBlank(content: unknown): boolean {
  return typeof content !== "string" || content.trim() === "";
}

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
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
      cost_budget:
        `the next request would pass the run's cost budget (max_cost_usd; $${
          Math.max(
            0,
            (opts.costBudget?.leftUsd ?? 0) -
              (opts.costBudget?.costOf(state.usage) ?? 0),
          ).toFixed(4)
        } was left)`,
      wall_time: "the run's wall time (max_wall_time_s) was used up",
      no_tool_calls:
        `the model replied ${MAX_SILENT_REPLIES} times in a row without calling a tool`,
    }[ended];
    if (
      opts.pauseAtBudget && ended !== "max_tool_steps" &&
      ended !== "no_tool_calls"
    ) {
      return {
        packet: opts.workspace.packet(),
        summary: `Turn paused: ${why}`,
        usage: state.usage,
        transcript: { messages: state.messages, exchanges: state.exchanges },
        events,
        ended,
        steps: state.steps,
        paused: ended,
      };
    }
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
