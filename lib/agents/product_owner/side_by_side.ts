/**
 * Best-of-N review: several SE attempts at one task that all passed the
 * acceptance commands, shown side by side; the PO picks one (`pick`) or
 * FAILs them all.
 */
import type { ChatCompletionTool } from "../../llm/mod.ts";
import { describeCommands } from "../conversation.ts";
import { digestDiff } from "../diff_digest.ts";
import type { AgentTask } from "../conversation.ts";
import type { CommandResult } from "../../factory/mod.ts";

/** One attempt as the PO reads it. */
export interface PoAttempt {
  attempt: number;
  commands: CommandResult[];
  diff: string;
  rejected: { path: string; reason: string }[];
  seSummary: string;
}

/** The PO's system prompt for a side-by-side review. */
export const PO_SIDE_BY_SIDE_PROMPT =
  `You are the Product Owner agent of AOS, an automated code factory.
Several Software Engineer agents did the same task independently, each in its own copy of the
repository; every attempt shown passed all acceptance commands. Compare them against the task:
PASS with pick set to the attempt that best does what the task asks, without unrelated or
harmful changes. If none does, FAIL with concrete feedback the engineer can act on, and pick
the attempt closest to done: the next iteration continues from it.
Answer by calling submit_verdict exactly once.`;

/** `tools`' submit_verdict with the optional `pick` argument naming one of `attempts`. */
export function toolsWithPick(
  tools: ChatCompletionTool[],
  attempts: number[],
): ChatCompletionTool[] {
  const [tool] = tools;
  if (!tool || tool.type !== "function") return tools;
  const parameters = tool.function.parameters as {
    properties: Record<string, unknown>;
  };
  return [{
    ...tool,
    function: {
      ...tool.function,
      description:
        "Submit your decision on these attempts, naming the one you pick, with feedback for the Software Engineer.",
      parameters: {
        ...parameters,
        properties: {
          ...parameters.properties,
          pick: {
            type: "integer",
            enum: attempts,
            description:
              "The attempt you pick: on PASS the one to keep (required); on FAIL the one closest to done.",
          },
        },
      },
    },
  }];
}

/**
 * The pick in a verdict's arguments: a number (or a numeric string) naming
 * one of `attempts`; required on PASS. A string says what is wrong.
 */
export function readPick(
  value: unknown,
  decision: "PASS" | "FAIL",
  attempts: number[],
): number | undefined | string {
  const pick = typeof value === "string" && /^\s*\d+\s*$/.test(value)
    ? Number(value)
    : value;
  if (pick === undefined || pick === null) {
    return decision === "PASS"
      ? `pick must name the attempt to keep on PASS: one of ${
        attempts.join(", ")
      }`
      : undefined;
  }
  if (typeof pick !== "number" || !attempts.includes(pick)) {
    return `pick must be one of ${attempts.join(", ")}, got ${
      JSON.stringify(value)
    }`;
  }
  return pick;
}

/** The attempt a prose verdict names ("attempt 2", "Attempt #3"), if exactly one of `attempts`. */
export function prosePick(
  text: string,
  attempts: number[],
): number | undefined {
  const named = new Set(
    [...text.matchAll(/\battempt\s*#?\s*(\d+)\b/gi)].map((m) => Number(m[1]))
      .filter((n) => attempts.includes(n)),
  );
  return named.size === 1 ? [...named][0] : undefined;
}

/** The PO's user message: the task, then each attempt's commands, summary and diff. */
export function sideBySidePrompt(opts: {
  task: AgentTask;
  iteration: number;
  attempts: PoAttempt[];
  /** Characters of diff all attempts may show together. */
  diffChars: number;
}): string {
  const { task } = opts;
  const each = Math.max(
    1_000,
    Math.floor(opts.diffChars / opts.attempts.length),
  );
  const parts = [
    `# Task${
      task.title ? `: ${task.title}` : ""
    } (iteration ${opts.iteration}, ${opts.attempts.length} attempts)\n\n${task.body.trim()}`,
  ];
  for (const a of opts.attempts) {
    const section = [`# Attempt ${a.attempt}`];
    section.push(
      `## Acceptance commands\n\n${
        a.commands.length > 0
          ? describeCommands(a.commands, 600)
          : "(none given: judge from the diff alone)"
      }`,
    );
    if (a.rejected.length > 0) {
      section.push(
        `## Changes refused by the path policy\n\n${
          a.rejected.map((r) => `- ${r.path}: ${r.reason}`).join("\n")
        }`,
      );
    }
    section.push(`## Engineer's summary\n\n${a.seSummary.trim() || "(none)"}`);
    section.push(
      `## Diff\n\n${"```diff\n" + digestDiff(a.diff, each) + "\n```"}`,
    );
    parts.push(section.join("\n\n"));
  }
  parts.push(
    `Call submit_verdict with your decision and pick (one of ${
      opts.attempts.map((a) => a.attempt).join(", ")
    }).`,
  );
  return parts.join("\n\n");
}
