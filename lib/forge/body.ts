/** The title and body AOS writes into a pull request: task, iterations, commands, verdict, run link. */
import type { CommandResult, PoReport } from "../factory/mod.ts";

/** Longest body sent (GitHub's limit is 65,536 characters). */
const MAX_BODY = 60_000;

/** What the body is made from. */
export interface PullRequestFacts {
  runId: string;
  /** Link to the run (AOS_PUBLIC_URL + /ui/runs/ID), or null when no public URL is configured. */
  runUrl: string | null;
  title: string | null;
  task: string;
  iteration: number;
  maxIterations: number;
  commands: CommandResult[];
  verdict: PoReport | null;
  /** The work order's `pull_request.body`, shown first. */
  extra: string | null;
}

/** The marker that ties a pull request to the run that opened it (crash-safe "opened" vs "updated"). */
export function runMarker(runId: string): string {
  return `<!-- aos-run: ${runId} -->`;
}

/** The default title: the work order's title, else the task's first line. */
export function pullRequestTitle(facts: PullRequestFacts): string {
  const first =
    facts.task.split("\n").map((l) => l.replace(/^#+\s*/, "").trim())
      .find((l) => l !== "") ?? "work order";
  const title = facts.title ?? `AOS: ${first}`;
  return title.length > 256 ? `${title.slice(0, 255)}…` : title;
}

function fence(text: string): string {
  return text.replace(/`/g, "'");
}

/** The markdown body. */
export function pullRequestBody(facts: PullRequestFacts): string {
  const run = facts.runUrl
    ? `[${facts.runId}](${facts.runUrl})`
    : `\`${facts.runId}\``;
  const lines: string[] = [];
  if (facts.extra) lines.push(facts.extra.trim(), "");
  lines.push(
    `Opened by AOS run ${run} after ${facts.iteration} of at most ${facts.maxIterations} iteration(s).`,
    "",
    "### Task",
    "",
    facts.title ? `**${facts.title}**` : "",
    "",
    facts.task.length > 4000 ? `${facts.task.slice(0, 4000)}\n\n…` : facts.task,
    "",
    "### Acceptance commands",
    "",
  );
  if (facts.commands.length === 0) lines.push("(none given)");
  for (const c of facts.commands) {
    const ok = !c.timed_out && c.exit_code === 0;
    const how = c.timed_out
      ? "timed out"
      : c.exit_code === null
      ? "killed"
      : `exit ${c.exit_code}`;
    lines.push(
      `- ${ok ? "PASS" : "FAIL"} \`${fence(c.command)}\` — ${how}, ${
        (c.duration_ms / 1000).toFixed(1)
      } s`,
    );
  }
  lines.push("", "### Product Owner verdict", "");
  if (facts.verdict) {
    lines.push(
      `**${facts.verdict.decision}**: ${facts.verdict.feedback.trim()}`,
    );
  } else lines.push("(none recorded)");
  lines.push("", runMarker(facts.runId));
  const body = lines.join("\n");
  if (body.length <= MAX_BODY) return body;
  return `${body.slice(0, MAX_BODY - 200)}\n\n… (cut)\n\n${
    runMarker(facts.runId)
  }`;
}
