/** What AOS says on an issue or pull request, each text carrying the marker that keeps AOS from answering itself. */
import { AOS_COMMENT_MARKER } from "../../lib/trigger/mod.ts";
import type { RunRecord } from "../../lib/store/mod.ts";

/** A link to run `id` (AOS_PUBLIC_URL's run page), or its id in code when no public URL is set. */
export function runLink(publicUrl: string | null, id: string): string {
  return publicUrl ? `[${id}](${publicUrl}/ui/runs/${id})` : `\`${id}\``;
}

/** Marks `text` as AOS's own. */
export function aosComment(text: string): string {
  return `${AOS_COMMENT_MARKER}\n${text}`;
}

/** The comment when a run from the thread is created. */
export function createdComment(opts: {
  link: string;
  run: RunRecord;
  held: boolean;
  author: string;
  followUpOf: string | null;
}): string {
  const what = opts.followUpOf
    ? `AOS run ${opts.link} follows up run \`${opts.followUpOf}\``
    : `AOS run ${opts.link}`;
  if (opts.held) {
    return aosComment(
      `${what} waits for approval before anything runs: @${opts.author} has no write access to this repository. ` +
        "A maintainer can comment `/aos approve` (or `/aos reject`), or approve it in AOS.",
    );
  }
  return aosComment(
    `${what} started. It pushes to \`${opts.run.push_branch}\`` +
      " and answers here when it ends.",
  );
}

/** The comment when a run from the thread ends. */
export function endedComment(link: string, run: RunRecord): string {
  const lines = [`AOS run ${link} ended **${run.status}**.`];
  if (run.result_summary) lines.push("", run.result_summary);
  if (run.error) lines.push("", "```", run.error.slice(0, 2000), "```");
  if (run.pull_request_url) {
    lines.push("", `Pull request: ${run.pull_request_url}`);
  }
  return aosComment(lines.join("\n"));
}
