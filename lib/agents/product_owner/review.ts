/**
 * The Product Owner's decision: FAIL on any failing acceptance command
 * (deterministic, no model call), otherwise the model's verdict on the diff.
 */
import type { CommandResult } from "../../factory/shapes.ts";
import {
  addUsage,
  type ChatCompletionMessageParam,
  type ChatCompletionTool,
  emptyUsage,
  type ModelClient,
  ModelError,
  type TokenUsage,
} from "../../llm/client.ts";
import {
  type AgentTask,
  type AgentTranscript,
  assistantMessage,
  commandFailed,
  describeCommands,
  keepingPartial,
  readToolCalls,
} from "../conversation.ts";
import { digestDiff } from "../diff_digest.ts";

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
  iteration: number;
  signal?: AbortSignal;
  tokenBudget: number;
}

/** The PO's verdict. */
export interface ProductOwnerResult {
  decision: "PASS" | "FAIL";
  feedback: string;
  usage: TokenUsage;
  transcript: AgentTranscript;
  /** False when the verdict followed from failing commands without asking the model. */
  byModel: boolean;
}

type Verdict = { decision: "PASS" | "FAIL"; feedback: string };

const MAX_ATTEMPTS = 3;
const MAX_DIFF_CHARS = 60_000;
const OUTPUT_TAIL_CHARS = 3_000;

/** The PO's system prompt. */
export const PO_SYSTEM_PROMPT =
  `You are the Product Owner agent of AOS, an automated code factory.
A Software Engineer agent changed a repository to do a task; all acceptance commands passed.
Review the diff against the task: PASS only if the change does what the task asks, without
unrelated or harmful changes. Otherwise FAIL with concrete feedback the engineer can act on.
Answer by calling submit_verdict exactly once.`;

/** Decides PASS or FAIL for one iteration; throws `ModelError` when the model gives no valid verdict. */
export async function runProductOwner(
  opts: ProductOwnerOptions,
): Promise<ProductOwnerResult> {
  const failing = opts.toolReport.commands.filter(commandFailed);
  if (failing.length > 0) {
    return {
      decision: "FAIL",
      feedback: failureFeedback(failing, opts.toolReport.rejected),
      usage: emptyUsage(),
      transcript: { messages: [], exchanges: [] },
      byModel: false,
    };
  }

  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: PO_SYSTEM_PROMPT },
    { role: "user", content: reviewPrompt(opts) },
  ];
  const transcript: AgentTranscript = { messages, exchanges: [] };
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
      const reply = await opts.client.chat({
        messages,
        tools: PO_TOOLS,
        toolChoice: "required",
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      usage = addUsage(usage, reply.usage);
      transcript.exchanges.push({
        request_tokens: reply.usage.prompt_tokens,
        usage: reply.usage,
        finish_reason: reply.finishReason,
      });
      const calls = readToolCalls(reply.message, `call_po_${attempt}`);
      messages.push(assistantMessage(reply.message, calls));
      if (calls.length === 0) {
        problem = "it replied without calling submit_verdict";
        messages.push({
          role: "user",
          content:
            "Call submit_verdict with decision PASS or FAIL and your feedback.",
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
        const checked = readVerdict(call.name, call.arguments);
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
      if (verdict) return { ...verdict, usage, transcript, byModel: true };
    }
    throw new ModelError(
      "bad_response",
      `Model did not submit a valid verdict in ${MAX_ATTEMPTS} attempts: ${problem}`,
    );
  }, () => ({ usage, transcript }));
}

/** A verdict from a tool call, or what is wrong with it. */
function readVerdict(name: string, raw: string): Verdict | string {
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
  const { decision, feedback } =
    (typeof args === "object" && args !== null ? args : {}) as Record<
      string,
      unknown
    >;
  if (decision !== "PASS" && decision !== "FAIL") {
    return `decision must be "PASS" or "FAIL", got ${
      JSON.stringify(decision) ?? "nothing"
    }`;
  }
  if (typeof feedback !== "string") return `feedback must be a string`;
  return {
    decision,
    feedback: feedback.trim() ||
      (decision === "PASS" ? "Accepted" : "Rejected"),
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
  if (rejected.length > 0) {
    text += `\n\nRefused changes:\n${
      rejected.map((r) => `- ${r.path}: ${r.reason}`).join("\n")
    }`;
  }
  return text;
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
        ? "```diff\n" + digestDiff(toolReport.diff, MAX_DIFF_CHARS) + "\n```"
        : "(no changes)"
    }`,
  );
  parts.push("Call submit_verdict with your decision.");
  return parts.join("\n\n");
}
