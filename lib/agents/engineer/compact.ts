/**
 * The SE's compact prompt profile, for small models and small windows: a
 * system prompt of a few lines, six tools with one-line descriptions and only
 * their required arguments, and the files the task names shown up front.
 * Measured on Qwen2.5-Coder-1.5B (bench/RESULTS.md): the full profile's
 * first request is ~2,200 tokens, which a 1.5B model reads as noise and a CPU
 * takes minutes to evaluate; this one is under 1,000 with the file included.
 */
import type { AgentTask } from "../conversation.ts";
import type { EngineerLimits, PromptProfile } from "./prompt.ts";

export type { PromptProfile } from "./prompt.ts";

/** Windows at or below this many tokens get the compact profile (a small, often local, model). */
export const COMPACT_WINDOW_TOKENS = 16_384;

/** The profile for a model with this context window. */
export function profileFor(contextTokens: number | undefined): PromptProfile {
  return contextTokens !== undefined && contextTokens <= COMPACT_WINDOW_TOKENS
    ? "compact"
    : "full";
}

/** The compact profile's tools: a short description and the arguments sent (the rest stay optional). */
export const COMPACT_TOOLS: Record<
  string,
  { description: string; args: string[] }
> = {
  list_files: { description: "List a directory.", args: ["path"] },
  read_file: {
    description: "Show a file's content.",
    args: ["path"],
  },
  edit_file: {
    description:
      "Replace old_text (lines copied from the file) by new_text (those lines as they must read now).",
    args: ["path", "old_text", "new_text"],
  },
  write_file: {
    description: "Write a file's whole new content.",
    args: ["path", "content"],
  },
  run_command: {
    description:
      "Run a shell command in the repository root; returns its exit code and output.",
    args: ["command"],
  },
  finish: {
    description: "Call when the task is done and checked.",
    args: ["summary"],
  },
};

/**
 * One call written out. Without it Qwen2.5-Coder-1.5B answered the pager
 * task's first request by writing a `<tools>` block that declared a tool of
 * its own; with it, the same request got a native tool call (bench/RESULTS.md).
 * The form is Qwen's and Hermes'; a server that does not parse it hands the
 * text to AOS, which reads the call from it (text_tool_calls.ts).
 */
const CALL_EXAMPLE =
  'Reply with exactly one tool call, written like this:\n<tool_call>\n{"name": "read_file", "arguments": {"path": "app.py"}}\n</tool_call>';

/** The compact system prompt: what to do, in order, and the rules that refuse a call. */
export function compactSystemPrompt(
  task: AgentTask,
  limits: EngineerLimits,
): string {
  const checks = task.acceptanceCommands.map((c) => `\`${c}\``).join(", ");
  // With commands, finish runs the acceptance commands itself (failingBeforeFinish):
  // a separate "run the tests" step cost a 1.5B model a request and a long output.
  const checked = limits.runCommand && checks !== "";
  const steps = [
    "1. Read the code the task is about.",
    "2. Change it with edit_file or write_file.",
    checked
      ? `3. Call finish with a one-line summary. finish runs ${checks} first; if that fails you get its output: fix the code and call finish again.`
      : limits.runCommand
      ? "3. Check it with run_command; if it fails, read the output and fix the code.\n4. Call finish with a one-line summary."
      : "3. Read your change again: you cannot run commands.\n4. Call finish with a one-line summary.",
  ];
  const forbidden = [...task.forbiddenPaths, ".git/**"].join(", ");
  const rules = [
    ...(task.allowedPaths.length > 0
      ? [`Only change files matching: ${task.allowedPaths.join(", ")}.`]
      : []),
    `Never change files matching: ${forbidden} (such a write is refused).`,
    'A result starting with "Error:" means nothing was done: correct the call.',
    `At most ${limits.maxToolSteps} tool calls.`,
  ];
  return [
    "You are a software engineer. Change the repository so the task is done. Work only by calling tools, one call at a time. Paths are relative to the repository root.",
    steps.join("\n"),
    rules.map((r) => `- ${r}`).join("\n"),
    CALL_EXAMPLE,
  ].join("\n\n");
}

/** Files shown up front: at most this many, each at most this long. */
const NAMED_FILES = 3;
const NAMED_FILE_CHARS = 6_000;

/**
 * The repository files the task's text names (`calendar.js`, `src/x.py`),
 * in the order named, that `read` can read: what a small model would
 * otherwise spend its first calls finding.
 */
export async function filesNamedIn(
  text: string,
  read: (path: string) => Promise<string | null>,
): Promise<{ path: string; content: string }[]> {
  const names = new Set<string>();
  // A path: word characters, dots, dashes and slashes, ending in .extension.
  for (const match of text.matchAll(/[\w./-]*[\w-]\.[A-Za-z]{1,5}\b/g)) {
    const name = match[0].replace(/^\.\//, "");
    if (name.includes("..") || name.startsWith("/")) continue;
    names.add(name);
    if (names.size >= 12) break;
  }
  const found: { path: string; content: string }[] = [];
  for (const name of names) {
    if (found.length >= NAMED_FILES) break;
    const content = await read(name);
    if (content === null || content.length > NAMED_FILE_CHARS) continue;
    found.push({ path: name, content });
  }
  return found;
}

/** Acceptance commands run before the first request, at most; output kept per command. */
const CHECKS_RUN = 2;
const CHECK_OUTPUT_CHARS = 2_500;

/**
 * The acceptance commands' output before any change (compact profile, first
 * iteration): the failing assertion tells a small model where the problem is,
 * which it rarely finds out by itself. Null when nothing could be run.
 */
export async function acceptanceNow(
  commands: readonly string[],
  run: ((command: string) => Promise<string>) | undefined,
): Promise<string | null> {
  if (!run || commands.length === 0) return null;
  const outputs: string[] = [];
  for (const command of commands.slice(0, CHECKS_RUN)) {
    try {
      const out = await run(command);
      outputs.push(
        out.length > CHECK_OUTPUT_CHARS
          ? `${out.slice(0, CHECK_OUTPUT_CHARS / 2)}\n…\n${
            out.slice(-CHECK_OUTPUT_CHARS / 2)
          }`
          : out,
      );
    } catch {
      // Out of command budget, or no sandbox: the SE can still run it itself.
      return outputs.length > 0 ? outputs.join("\n\n") : null;
    }
  }
  return outputs.join("\n\n");
}

/** finish calls answered with failing acceptance commands per turn, at most; the next one ends the turn. */
export const FINISH_CHECKS = 2;

/**
 * The acceptance commands run when the SE calls finish (compact profile):
 * null when they all pass (or none could be run), else what the model is
 * answered with instead of ending its turn — the failing commands' output.
 * A 1.5B model called finish on a file it had broken, or at once in a later
 * iteration; a new iteration costs the whole prompt again, this one reply.
 */
export async function failingBeforeFinish(
  commands: readonly string[],
  run: ((command: string) => Promise<string>) | undefined,
): Promise<string | null> {
  if (!run || commands.length === 0) return null;
  const failing: string[] = [];
  for (const command of commands.slice(0, CHECKS_RUN)) {
    let out: string;
    try {
      out = await run(command);
    } catch {
      return null; // out of command budget, or no sandbox: the run's own check decides
    }
    // runSeCommand's text: "$ command", then "exit code N in S s" (or how it was killed).
    if (/^exit code 0 in /m.test(out.split("\n", 3)[1] ?? "")) continue;
    failing.push(
      out.length > CHECK_OUTPUT_CHARS
        ? `${out.slice(0, CHECK_OUTPUT_CHARS / 2)}\n…\n${
          out.slice(-CHECK_OUTPUT_CHARS / 2)
        }`
        : out,
    );
  }
  if (failing.length === 0) return null;
  return "Not finished: the acceptance commands still fail.\n\n" +
    failing.join("\n\n") +
    "\n\nFix the code (edit_file), then call finish again.";
}
