/**
 * The Software Engineer's turn: a tool-calling loop over a workspace view
 * that ends when the model calls `finish`. Pure logic over a model client.
 */
import {
  addUsage,
  type ChatCompletionMessageParam,
  emptyUsage,
  type ModelClient,
  ModelError,
  type TokenUsage,
} from "../../llm/client.ts";
import { engineerUserMessage, SE_SYSTEM_PROMPT } from "./prompt.ts";
import { type EngineerWorkspace, executeTool, toolsFor } from "./tools.ts";
import {
  type AgentEvent,
  type AgentTask,
  type AgentTranscript,
  assistantMessage,
  capText,
  readToolCalls,
} from "../conversation.ts";

export { type EngineerWorkspace, SE_TOOLS } from "./tools.ts";
export type {
  AgentEvent,
  AgentTask,
  AgentTranscript,
} from "../conversation.ts";

/** Options of `runEngineerTurn`. */
export interface EngineerTurnOptions {
  client: ModelClient;
  workspace: EngineerWorkspace;
  task: AgentTask;
  contextFiles: { path: string; content: string }[];
  iteration: number;
  previous?: { toolReport: unknown; poFeedback: string };
  /** Model round trips allowed in this turn. */
  maxToolSteps: number;
  /** Tokens left for this run; no new request is sent once this turn has used them. */
  tokenBudget: number;
  signal?: AbortSignal;
  /** Applied to everything sent to the model and to the summary and events. */
  redact?: (s: string) => string;
}

/** What one SE turn produced. */
export interface EngineerResult {
  packet: { writes: { path: string; content: string }[]; deletes: string[] };
  summary: string;
  usage: TokenUsage;
  transcript: AgentTranscript;
  events: AgentEvent[];
}

/** Consecutive replies without a tool call tolerated before giving up. */
const MAX_SILENT_REPLIES = 3;
/** Longest tool result sent back to the model. */
const MAX_TOOL_RESULT_CHARS = 60_000;

const NUDGE =
  "Use the tools to work on the task (read, write or edit files); " +
  "call finish with a summary when done.";

/** Runs the SE until it calls `finish`; throws `ModelError` when the model misbehaves or a limit is hit. */
export async function runEngineerTurn(
  opts: EngineerTurnOptions,
): Promise<EngineerResult> {
  const progress: Progress = {
    usage: emptyUsage(),
    transcript: { messages: [], exchanges: [] },
  };
  try {
    return await engineerLoop(opts, progress);
  } catch (error) {
    if (error instanceof ModelError) error.partial ??= { ...progress };
    throw error;
  }
}

/** What a turn has used and said so far, kept for the error when it fails. */
interface Progress {
  usage: TokenUsage;
  transcript: AgentTranscript;
}

async function engineerLoop(
  opts: EngineerTurnOptions,
  progress: Progress,
): Promise<EngineerResult> {
  const redact = opts.redact ?? ((s: string) => s);
  const { workspace } = opts;
  const events: AgentEvent[] = [];
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: SE_SYSTEM_PROMPT },
    {
      role: "user",
      content: redact(engineerUserMessage({
        task: opts.task,
        layout: await workspace.layout(),
        contextFiles: opts.contextFiles,
        iteration: opts.iteration,
        ...(opts.previous ? { previous: opts.previous } : {}),
      })),
    },
  ];
  const transcript: AgentTranscript = { messages, exchanges: [] };
  progress.transcript = transcript;
  let usage = emptyUsage();
  let steps = 0;
  let silentReplies = 0;

  while (true) {
    if (steps >= opts.maxToolSteps) {
      throw new ModelError(
        "budget",
        `SE did not call finish within its limit of ${opts.maxToolSteps} tool-call steps (max_tool_steps)`,
      );
    }
    if (usage.total_tokens >= opts.tokenBudget) {
      throw new ModelError(
        "budget",
        `SE stopped: the run's token budget is used up (${usage.total_tokens} tokens used this turn, ` +
          `${opts.tokenBudget} were left; max_total_tokens)`,
      );
    }
    const reply = await opts.client.chat({
      messages,
      tools: toolsFor(workspace),
      toolChoice: "auto",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    steps++;
    usage = addUsage(usage, reply.usage);
    progress.usage = usage;
    transcript.exchanges.push({
      request_tokens: reply.usage.prompt_tokens,
      usage: reply.usage,
      finish_reason: reply.finishReason,
    });
    const calls = readToolCalls(reply.message, `call_se_${steps}`);
    messages.push(assistantMessage(reply.message, calls));

    if (calls.length === 0) {
      silentReplies++;
      events.push({
        kind: "SE_NO_TOOL_CALL",
        level: "WARN",
        payload: {
          step: steps,
          in_a_row: silentReplies,
          content: redact(capText(String(reply.message.content ?? ""), 500)),
        },
      });
      if (silentReplies >= MAX_SILENT_REPLIES) {
        throw new ModelError(
          "bad_response",
          `Model replied without tool calls ${MAX_SILENT_REPLIES} times in a row`,
        );
      }
      messages.push({ role: "user", content: NUDGE });
      continue;
    }
    silentReplies = 0;

    let summary: string | null = null;
    for (const call of calls) {
      if (summary !== null) {
        messages.push({
          role: "tool",
          tool_call_id: call.id,
          content: "Not executed: finish was already called",
        });
        continue;
      }
      const name = call.name;
      const outcome = await executeTool(workspace, name, call.arguments, {
        signal: opts.signal,
      });
      let content: string;
      if (outcome.kind === "finish") {
        summary = redact(outcome.summary.trim() || "(no summary)");
        content = "Turn finished; your changes will be applied and checked.";
      } else {
        content = redact(capText(outcome.text, MAX_TOOL_RESULT_CHARS));
        if (outcome.kind === "error") {
          events.push({
            kind: "SE_TOOL_ERROR",
            level: "WARN",
            payload: {
              tool: name,
              reason: outcome.reason,
              error: capText(content, 500),
            },
          });
        }
      }
      messages.push({ role: "tool", tool_call_id: call.id, content });
    }
    if (summary !== null) {
      return { packet: workspace.packet(), summary, usage, transcript, events };
    }
  }
}
