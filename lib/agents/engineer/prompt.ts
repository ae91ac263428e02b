/** What the SE is told: its role, the task, the rules, and what happened last iteration. */
import type { CommandResult } from "../../factory/shapes.ts";
import { type AgentTask, capText, describeCommands } from "../conversation.ts";

/** The SE's system prompt. */
export const SE_SYSTEM_PROMPT =
  `You are the Software Engineer agent of AOS, an automated code factory.
You change a git repository so that a task is done and its acceptance commands pass.

Work only through the tools:
- list_files, read_file, search_files to look at the repository (your own pending changes included);
- write_file (full content), edit_file (replace one exact occurrence), delete_file to change it;
- finish with a short summary when the task is done.

Rules:
- Paths are relative to the repository root. Only paths the path rules allow can be written or deleted.
- A tool result starting with "Error:" means nothing happened; read it and correct your call.
- You cannot run commands. After finish, the acceptance commands run in a sandbox and a Product Owner
  reviews the diff; if something fails you get another iteration with the results.
- Keep changes minimal and focused on the task. Do not stop without calling finish.`;

const MAX_CONTEXT_FILE_CHARS = 40_000;
const MAX_CONTEXT_TOTAL_CHARS = 150_000;
const OUTPUT_TAIL_CHARS = 3_000;

/** Inputs of the SE's first user message. */
export interface EngineerPromptInput {
  task: AgentTask;
  layout: string;
  contextFiles: { path: string; content: string }[];
  iteration: number;
  previous?: { toolReport: unknown; poFeedback: string };
}

/** The SE's first user message of an iteration. */
export function engineerUserMessage(input: EngineerPromptInput): string {
  const { task } = input;
  const parts: string[] = [];
  parts.push(
    `# Task${task.title ? `: ${task.title}` : ""}\n\n${task.body.trim()}`,
  );
  parts.push(
    `# Acceptance commands (run in the repository root after you finish)\n\n${
      task.acceptanceCommands.length > 0
        ? task.acceptanceCommands.map((c) => `- \`${c}\``).join("\n")
        : "(none: the Product Owner reviews the diff against the task)"
    }`,
  );
  parts.push(
    `# Path rules\n\n- allowed_paths: ${
      task.allowedPaths.length > 0 ? task.allowedPaths.join(", ") : "(any path)"
    }\n- forbidden_paths: ${[...task.forbiddenPaths, ".git/**"].join(", ")}\n` +
      `Writes and deletes outside these rules are refused.`,
  );
  parts.push(
    `# Repository layout\n\n${input.layout.trim() || "(empty repository)"}`,
  );
  if (input.contextFiles.length > 0) {
    let budget = MAX_CONTEXT_TOTAL_CHARS;
    const files = input.contextFiles.map((file) => {
      const content = capText(
        file.content,
        Math.max(0, Math.min(MAX_CONTEXT_FILE_CHARS, budget)),
      );
      budget -= content.length;
      return `## ${file.path}\n\n\`\`\`\n${content}\n\`\`\``;
    });
    parts.push(`# Context files\n\n${files.join("\n\n")}`);
  }
  if (input.iteration > 1 && input.previous) {
    parts.push(
      `# Iteration ${input.iteration}: what happened in iteration ${
        input.iteration - 1
      }\n\n` +
        `The workspace already contains your changes from earlier iterations.\n\n` +
        `## Tool report\n\n${
          compactToolReport(input.previous.toolReport)
        }\n\n` +
        `## Product Owner feedback\n\n${
          input.previous.poFeedback.trim() || "(none)"
        }`,
    );
  }
  parts.push(
    `Start by looking at the files you need, make the changes, then call finish.`,
  );
  return parts.join("\n\n");
}

/** The previous tool report as text: each command, its exit code and output tail, plus refused writes. */
export function compactToolReport(report: unknown): string {
  if (typeof report !== "object" || report === null) return "(no tool report)";
  const { commands, rejected } = report as {
    commands?: unknown;
    rejected?: unknown;
  };
  const lines: string[] = [];
  const results = Array.isArray(commands)
    ? commands.filter(isCommandResult).map((c) => ({
      ...c,
      timed_out: c.timed_out === true,
    }))
    : [];
  lines.push(
    results.length > 0
      ? describeCommands(results, OUTPUT_TAIL_CHARS)
      : "(no acceptance commands were run)",
  );
  if (Array.isArray(rejected) && rejected.length > 0) {
    const refused = rejected.map((r) => {
      const { path, reason } = (r ?? {}) as {
        path?: unknown;
        reason?: unknown;
      };
      return `- ${String(path)}: ${String(reason)}`;
    });
    lines.push(`Refused changes:\n${refused.join("\n")}`);
  }
  return lines.join("\n\n");
}

function isCommandResult(value: unknown): value is CommandResult {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.command === "string" && typeof c.output === "string" &&
    (typeof c.exit_code === "number" || c.exit_code === null);
}
