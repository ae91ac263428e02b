/**
 * The Product Owner's decision: FAIL on any failing acceptance command
 * (deterministic, no model call), otherwise the model's verdict on the diff.
 */
import { type InstructionsFile, instructionsSection } from "../instructions.ts";
import type { CommandResult } from "../../factory/mod.ts";
import {
  addUsage,
  type ChatCompletionMessageParam,
  type ChatCompletionTool,
  countMessagesTokens,
  countToolsTokens,
  emptyUsage,
  type ModelClient,
  ModelError,
  type ModelObserver,
  type TokenUsage,
} from "../../llm/mod.ts";
import {
  type AgentEvent,
  type AgentTask,
  type AgentTranscript,
  assistantMessage,
  commandFailed,
  describeCommands,
  keepingPartial,
} from "../conversation.ts";
import { digestDiff } from "../diff_digest.ts";
import { replyCalls } from "../reply_calls.ts";
import { readProseVerdict } from "./prose_verdict.ts";
import { replyUsage } from "../reply_usage.ts";
import {
  PO_SIDE_BY_SIDE_PROMPT,
  type PoAttempt,
  prosePick,
  readPick,
  sideBySidePrompt,
  toolsWithPick,
} from "./side_by_side.ts";

/** The PO's only tool, exactly as in the agent tool protocol. */
export const PO_TOOLS: ChatCompletionTool[] = [{
  type: "function",
  function: {
    name: "submit_verdict",
    description:
      "Submit your decision on this iteration, with feedback for the Software Engineer.",
    parameters: {
      type: "object",
      properties: {
        decision: {
          type: "string",
          enum: ["PASS", "FAIL"],
          description:
            "PASS when the change fully does the task, FAIL otherwise.",
        },
        feedback: {
          type: "string",
          description: "Why; on FAIL, concretely what must change.",
        },
      },
      required: ["decision", "feedback"],
      additionalProperties: false,
    },
  },
}];

/** What the TR measured, as the PO reads it. */
export interface PoToolReport {
  commands: CommandResult[];
  diff: string;
  rejected: { path: string; reason: string }[];
}

/** Options of `runProductOwner`. */
export interface ProductOwnerOptions {
  client: ModelClient;
  task: AgentTask;
  toolReport: PoToolReport;
  seSummary: string;
  /** The repository's instructions files (shown capped in the system prompt). */
  instructions?: readonly InstructionsFile[];
  iteration: number;
  signal?: AbortSignal;
  tokenBudget: number;
  /** The model's context window in tokens (default 128000): the diff shown is cut to fit it. */
  contextTokens?: number;
  /** Hears of model retries and of each call's progress while it is in flight. */
  observer?: ModelObserver;
  /**
   * Best-of-N: two or more attempts that all passed, reviewed side by side
   * (instead of `toolReport` and `seSummary`); the verdict names a `pick`.
   */
  attempts?: PoAttempt[];
}

/** The PO's verdict. */
export interface ProductOwnerResult {
  decision: "PASS" | "FAIL";
  feedback: string;
  usage: TokenUsage;
  transcript: AgentTranscript;
  /** False when the verdict followed from failing commands or an empty diff without asking the model. */
  byModel: boolean;
  /** Notable things that happened (a verdict read from text), for the run's log. */
  events: AgentEvent[];
  /** Best-of-N: the attempt the PO picked (always on PASS; on FAIL if it named one). */
  pick?: number;
}

type Verdict = { decision: "PASS" | "FAIL"; feedback: string; pick?: number };

/** Requests per review: the first, and one retry after a reply without a readable verdict. */
const MAX_ATTEMPTS = 2;
const MAX_DIFF_CHARS = 60_000;
/** Tokens the review prompt needs besides the diff (system prompt, task, commands), roughly. */
const PROMPT_OVERHEAD_TOKENS = 1_500;
const VERDICT_TOOL = new Set(["submit_verdict"]);
const OUTPUT_TAIL_CHARS = 3_000;

/** The PO's system prompt. */
export const PO_SYSTEM_PROMPT =
  `You are the Product Owner agent of AOS, an automated code factory.
A Software Engineer agent changed a repository to do a task; all acceptance commands passed.
Review the diff against the task: PASS only if the change does what the task asks, without
unrelated or harmful changes. Otherwise FAIL with concrete feedback the engineer can act on.
Answer by calling submit_verdict exactly once.`;

/** The PO's system prompt with the repository's instructions, when there are any. */
function poSystemPrompt(
  instructions: readonly InstructionsFile[],
  prompt: string,
): string {
  const section = instructionsSection(instructions, { canRead: false });
  return section === "" ? prompt : `${prompt}\n\n${section}`;
}

/** Decides PASS or FAIL for one iteration; throws `ModelError` when the model gives no valid verdict. */
export async function runProductOwner(
  opts: ProductOwnerOptions,
): Promise<ProductOwnerResult> {
  const picks = opts.attempts && opts.attempts.length > 1
    ? opts.attempts.map((a) => a.attempt)
    : null;
  const failing = opts.toolReport.commands.filter(commandFailed);
  const unchanged = opts.toolReport.diff.trim() === "";
  if (!picks && (failing.length > 0 || unchanged)) {
    // Decided without the model: a failing command, or nothing changed at
    // all (an unchanged tree is never a PASS, whatever a model would say).
    const parts = [];
    if (unchanged) parts.push(UNCHANGED_FEEDBACK);
    if (failing.length > 0) {
      parts.push(failureFeedback(failing, opts.toolReport.rejected));
    } else if (opts.toolReport.rejected.length > 0) {
      parts.push(refusedText(opts.toolReport.rejected));
    }
    return {
      decision: "FAIL",
      feedback: parts.join("\n\n"),
      usage: emptyUsage(),
      transcript: { messages: [], exchanges: [] },
      byModel: false,
      events: [],
    };
  }

  const tools = picks ? toolsWithPick(PO_TOOLS, picks) : PO_TOOLS;
  const messages: ChatCompletionMessageParam[] = [
    {
      role: "system",
      content: poSystemPrompt(
        opts.instructions ?? [],
        picks ? PO_SIDE_BY_SIDE_PROMPT : PO_SYSTEM_PROMPT,
      ),
    },
    {
      role: "user",
      content: picks && opts.attempts
        ? sideBySidePrompt({
          task: opts.task,
          iteration: opts.iteration,
          attempts: opts.attempts,
          diffChars: diffChars(opts),
        })
        : reviewPrompt(opts),
    },
  ];
  const transcript: AgentTranscript = { messages, exchanges: [] };
  const events: AgentEvent[] = [];
  let usage = emptyUsage();
  let problem = "";
  return await keepingPartial(async () => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (usage.total_tokens >= opts.tokenBudget) {
        throw new ModelError(
          "budget",
          `PO stopped: the run's token budget is used up (${opts.tokenBudget} tokens were left; max_total_tokens)`,
        );
      }
      const requestTokens = countMessagesTokens(messages) +
        countToolsTokens(tools);
      const reply = await opts.client.chat({
        messages,
        tools,
        toolChoice: "required",
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.observer ? { observer: opts.observer } : {}),
      });
      const spent = replyUsage(reply, requestTokens);
      usage = addUsage(usage, spent.usage);
      const exchange: AgentTranscript["exchanges"][number] = {
        request_tokens: spent.usage.prompt_tokens,
        usage: spent.usage,
        finish_reason: reply.finishReason,
        ...(spent.estimated ? { usage_estimated: true } : {}),
      };
      transcript.exchanges.push(exchange);
      const { calls, message, fromText } = replyCalls(
        reply.message,
        VERDICT_TOOL,
        `call_po_${attempt}`,
      );
      const text = typeof reply.message.content === "string"
        ? reply.message.content
        : "";
      if (fromText !== null) {
        exchange.text_tool_calls = calls.length;
        exchange.raw_content = fromText;
        events.push({
          kind: "TOOL_CALLS_IN_TEXT",
          level: "WARN",
          payload: { agent: "po", step: attempt, tools: ["submit_verdict"] },
        });
      }
      messages.push(assistantMessage(message, calls));
      if (calls.length === 0) {
        const read = readProseVerdict(text);
        const pick = read && picks
          ? prosePick(read.feedback, picks)
          : undefined;
        // Several attempts: a prose PASS counts only when it names one of them.
        const prose = read && picks && read.decision === "PASS" &&
            pick === undefined
          ? null
          : read;
        if (prose) {
          events.push({
            kind: "PO_VERDICT_FROM_TEXT",
            level: "WARN",
            payload: { step: attempt, decision: prose.decision },
          });
          return {
            ...prose,
            ...(pick === undefined ? {} : { pick }),
            usage,
            transcript,
            byModel: true,
            events,
          };
        }
        problem = text.trim()
          ? "it answered in text that names no clear PASS or FAIL, without calling submit_verdict"
          : "it replied without calling submit_verdict";
        messages.push({
          role: "user",
          content: picks
            ? `Call submit_verdict with decision "PASS" or "FAIL", pick (one of ${
              picks.join(", ")
            }) and your feedback. ` +
              "If you cannot call tools, answer with one line: Decision: PASS, attempt N or Decision: FAIL, then your feedback."
            : 'Call submit_verdict with decision "PASS" or "FAIL" and your feedback. ' +
              "If you cannot call tools, answer with one line: Decision: PASS or Decision: FAIL, then your feedback.",
        });
        continue;
      }
      let verdict: Verdict | null = null;
      for (const call of calls) {
        if (verdict) {
          messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: "Ignored: a verdict was already submitted",
          });
          continue;
        }
        const checked = readVerdict(call.name, call.arguments, picks);
        if (typeof checked === "string") {
          problem = checked;
          messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: `Error: ${checked}`,
          });
        } else {
          verdict = checked;
          messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: "Verdict recorded.",
          });
        }
      }
      if (verdict) {
        return { ...verdict, usage, transcript, byModel: true, events };
      }
    }
    const error = new ModelError(
      "no_tool_call",
      `The PO model '${opts.client.model}' at ${opts.client.endpoint} gave no valid verdict in ${MAX_ATTEMPTS} replies: ${problem}; does it support tool calling?`,
    );
    error.partial = { usage, transcript, events };
    throw error;
  }, () => ({ usage, transcript }));
}

/** The feedback when the tree is unchanged. */
const UNCHANGED_FEEDBACK =
  "Nothing changed: the diff against the base is empty, so the task cannot be done. " +
  "Make the change with write_file or edit_file, then call finish.";

/** A verdict from a tool call (with its pick among `picks`, when several attempts), or what is wrong with it. */
function readVerdict(
  name: string,
  raw: string,
  picks: number[] | null,
): Verdict | string {
  if (name !== "submit_verdict") {
    return `unknown tool '${name}'; call submit_verdict`;
  }
  let args: unknown;
  try {
    args = JSON.parse(raw);
  } catch (error) {
    return `arguments for submit_verdict are not valid JSON: ${
      error instanceof Error ? error.message : error
    }`;
  }
  const { decision, feedback, pick } =
    (typeof args === "object" && args !== null ? args : {}) as Record<
      string,
      unknown
    >;
  const upper = typeof decision === "string"
    ? decision.trim().toUpperCase()
    : decision;
  if (upper !== "PASS" && upper !== "FAIL") {
    return `decision must be "PASS" or "FAIL", got ${
      JSON.stringify(decision) ?? "nothing"
    }`;
  }
  if (typeof feedback !== "string") return `feedback must be a string`;
  const picked = picks ? readPick(pick, upper, picks) : undefined;
  if (typeof picked === "string") return picked;
  return {
    decision: upper,
    feedback: feedback.trim() ||
      (upper === "PASS" ? "Accepted" : "Rejected"),
    ...(picked === undefined ? {} : { pick: picked }),
  };
}

/** Deterministic FAIL feedback: each failing command with the tail of its output. */
function failureFeedback(
  failing: CommandResult[],
  rejected: { path: string; reason: string }[],
): string {
  const noun = failing.length === 1 ? "command" : "commands";
  let text = `${failing.length} acceptance ${noun} failed:\n\n${
    describeCommands(failing, OUTPUT_TAIL_CHARS)
  }`;
  if (rejected.length > 0) text += `\n\n${refusedText(rejected)}`;
  return text;
}

function refusedText(rejected: { path: string; reason: string }[]): string {
  return `Refused changes:\n${
    rejected.map((r) => `- ${r.path}: ${r.reason}`).join("\n")
  }`;
}

/**
 * Characters of diff the review may show: 60,000, or less where the model's
 * window is small (about 3 characters a token, after the output cap and the
 * rest of the prompt).
 */
function diffChars(opts: ProductOwnerOptions): number {
  const window = opts.contextTokens ?? 128_000;
  const room = window * 0.9 - (opts.client.maxOutputTokens ?? 0) -
    PROMPT_OVERHEAD_TOKENS - Math.ceil(opts.task.body.length / 3);
  return Math.max(1_000, Math.min(MAX_DIFF_CHARS, Math.floor(room * 3)));
}

/** The PO's user message: task, acceptance results, refused changes, SE summary and the diff. */
function reviewPrompt(opts: ProductOwnerOptions): string {
  const { task, toolReport } = opts;
  const parts = [
    `# Task${
      task.title ? `: ${task.title}` : ""
    } (iteration ${opts.iteration})\n\n${task.body.trim()}`,
    `# Acceptance commands\n\n${
      toolReport.commands.length > 0
        ? describeCommands(toolReport.commands, 1_500)
        : "(none given: judge from the diff alone)"
    }`,
  ];
  if (toolReport.rejected.length > 0) {
    parts.push(
      `# Changes refused by the path policy\n\n${
        toolReport.rejected.map((r) => `- ${r.path}: ${r.reason}`).join("\n")
      }`,
    );
  }
  parts.push(`# Engineer's summary\n\n${opts.seSummary.trim() || "(none)"}`);
  parts.push(
    `# Diff (a --stat summary, then each file; long files are cut so every file is shown)\n\n${
      toolReport.diff.trim()
        ? "```diff\n" + digestDiff(toolReport.diff, diffChars(opts)) +
          "\n```"
        : "(no changes)"
    }`,
  );
  parts.push("Call submit_verdict with your decision.");
  return parts.join("\n\n");
}
