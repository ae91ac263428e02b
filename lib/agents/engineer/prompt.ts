/** What the SE is told: how to work, the rules and limits, the task, and what happened before. */
import type { CommandResult } from "../../factory/mod.ts";
import {
  type AgentTask,
  capText,
  commandFailed,
  describeCommands,
} from "../conversation.ts";
import { digestDiff } from "../diff_digest.ts";

/** Which prompt and tool descriptions the SE gets (compact.ts: small models and windows). */
export type PromptProfile = "full" | "compact";

/** The limits the SE works under, as it is told them. */
export interface EngineerLimits {
  maxToolSteps: number;
  /** Steps before the limit at which the SE is warned. */
  warnSteps: number;
  /** Output-token cap of one reply, or null when none is sent. */
  maxOutputTokens: number | null;
  /** Whether `run_command` is offered. */
  runCommand: boolean;
  /** What bounds run_command, in words (e.g. "20 commands and 600 s per turn"), when known. */
  commandLimits?: string | undefined;
}

/** The SE's system prompt: role, working method, rules, the acceptance commands, path rules and limits. */
export function engineerSystemPrompt(
  task: AgentTask,
  limits: EngineerLimits,
): string {
  const run = limits.runCommand;
  const method = [
    "1. Locate: find the code the task is about with search_files and find_files (and list_files for the layout) instead of reading whole folders.",
    "2. Read: read_file the parts you need; it shows numbered lines a window at a time and tells you how to read on.",
    run
      ? "3. Reproduce: before changing code, run the failing test or a small script with run_command to see the problem."
      : "3. Understand the expected behaviour from the code and its tests before changing anything.",
    "4. Edit minimally: edit_file with a short old_text that matches once; write_file for new files or complete rewrites. Change only what the task needs, in the existing style.",
    run
      ? "5. Verify: run the acceptance commands (or the relevant tests) with run_command; fix what fails and run them again."
      : "5. Verify by reading your change again: you cannot run commands in this turn.",
    "6. Finish: call finish with a short summary of what you changed and why.",
  ];
  const rules = [
    "Paths are relative to the repository root.",
    `Writes and deletes are allowed ${
      task.allowedPaths.length > 0
        ? `only under allowed_paths: ${task.allowedPaths.join(", ")}`
        : "anywhere in the repository"
    }, never under forbidden_paths: ${
      [...task.forbiddenPaths, ".git/**"].join(", ")
    }. A change outside these rules is refused.`,
    'A tool result starting with "Error:" means nothing happened: read it and correct the call.',
    "Older tool outputs are replaced by one-line stubs to keep the context small; call the tool again when you need one.",
    run
      ? "run_command runs in a sandbox without network, in your working copy (your pending changes applied). Files it writes become part of your changes only where the path rules allow. Your own runs do not count as acceptance."
      : "You cannot run commands.",
    "After finish, the Tool Runner applies your changes to a clean checkout and runs the acceptance commands in a sandbox; a Product Owner reviews the diff. If something fails you get another iteration with the results.",
  ];
  const acceptance = task.acceptanceCommands.length > 0
    ? task.acceptanceCommands.map((c) => `- \`${c}\``).join("\n")
    : "(none: the Product Owner judges the diff against the task)";
  const limitLines = [
    `At most ${limits.maxToolSteps} tool-call steps (model replies) in this turn; you are told when ${limits.warnSteps} are left. At the limit the turn ends and your changes so far are applied as they are.`,
    ...(limits.maxOutputTokens
      ? [
        `A reply is cut off after ${limits.maxOutputTokens} output tokens: keep each call small (edit_file rather than rewriting a big file).`,
      ]
      : []),
    ...(run && limits.commandLimits
      ? [`run_command: ${limits.commandLimits}.`]
      : []),
  ];
  return [
    "You are the Software Engineer agent of AOS, an automated code factory. You change a git repository so that a task is done and its acceptance commands pass. Work only through the tools.",
    `# How to work\n\n${method.join("\n")}`,
    `# Rules\n\n${rules.map((r) => `- ${r}`).join("\n")}`,
    `# Acceptance commands (run in the repository root after you finish)\n\n${acceptance}`,
    `# Limits\n\n${limitLines.map((l) => `- ${l}`).join("\n")}`,
  ].join("\n\n");
}

const MAX_CONTEXT_FILE_CHARS = 40_000;
const MAX_CONTEXT_TOTAL_CHARS = 100_000;
/** Output kept per failing command (head and tail). */
const COMMAND_OUTPUT_CHARS = 4_000;
/** The cumulative diff shown from iteration 2 on. */
const MAX_DIFF_CHARS = 24_000;

/** What the SE of iteration N is told about iteration N-1. */
export interface PreviousIteration {
  /** The SE's own summary of iteration N-1. */
  summary: string;
  /** The cumulative diff from the base through iteration N-1. */
  diff: string;
  commands: CommandResult[];
  rejected: { path: string; reason: string }[];
  poFeedback: string;
  /** False when the PO's FAIL only followed from failing commands (its feedback repeats their output). */
  poByModel: boolean;
}

/** Inputs of the SE's first user message. */
export interface EngineerPromptInput {
  task: AgentTask;
  layout: string;
  contextFiles: { path: string; content: string }[];
  iteration: number;
  previous?: PreviousIteration | undefined;
  /** The compact profile (compact.ts) ends with a shorter instruction. */
  profile?: PromptProfile;
  /** The acceptance commands' output before any change (compact profile), when they were run. */
  checksNow?: string | null;
}

/** The SE's first user message of an iteration: the task, the layout, context files, the previous iteration. */
export function engineerUserMessage(input: EngineerPromptInput): string {
  const { task } = input;
  const parts: string[] = [];
  parts.push(
    `# Task${task.title ? `: ${task.title}` : ""}\n\n${task.body.trim()}`,
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
  if (input.checksNow) {
    parts.push(
      `# The acceptance commands now, before your change\n\n${input.checksNow}`,
    );
  }
  if (input.iteration > 1 && input.previous) {
    parts.push(previousIteration(input.iteration, input.previous));
  }
  parts.push(
    input.profile === "compact"
      ? `${
        input.contextFiles.length > 0
          ? "The files above are already read: do not read them again. "
          : ""
      }Start now: call one tool.`
      : "Start by locating the code you need; change it; verify; then call finish.",
  );
  return parts.join("\n\n");
}

/** Iteration N-1 once: summary, cumulative diff, failing commands (head and tail), refused changes, PO feedback. */
function previousIteration(n: number, previous: PreviousIteration): string {
  const parts = [
    `# Iteration ${n}: what happened in iteration ${n - 1}`,
    "Your changes of the earlier iterations are already in the working copy; build on them.",
    `## Your summary of iteration ${n - 1}\n\n${
      previous.summary.trim() || "(none)"
    }`,
    `## Your changes so far (diff against the base)\n\n${
      previous.diff.trim()
        ? "```diff\n" + digestDiff(previous.diff, MAX_DIFF_CHARS) + "\n```"
        : "(no changes)"
    }`,
  ];
  const failing = previous.commands.filter(commandFailed);
  const passing = previous.commands.length - failing.length;
  parts.push(
    `## Acceptance commands\n\n${
      previous.commands.length === 0
        ? "(none were run)"
        : failing.length === 0
        ? "All passed."
        : `${failing.length} failed${
          passing > 0 ? `, ${passing} passed` : ""
        }:\n\n${describeCommands(failing, COMMAND_OUTPUT_CHARS)}`
    }`,
  );
  if (previous.rejected.length > 0) {
    parts.push(
      `## Changes refused by the path rules\n\n${
        previous.rejected.map((r) => `- ${r.path}: ${r.reason}`).join("\n")
      }`,
    );
  }
  parts.push(
    `## Product Owner feedback\n\n${
      previous.poByModel
        ? previous.poFeedback.trim() || "(none)"
        : previous.diff.trim() === ""
        ? "FAIL: Nothing changed: the diff against the base is empty. Make the change with write_file or edit_file, then call finish."
        : "FAIL: the acceptance commands above failed."
    }`,
  );
  return parts.join("\n\n");
}
