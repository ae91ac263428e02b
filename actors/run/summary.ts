/** `summary.json`: what a finished run's record and setup say, as one artifact. */
import type { RunRecord } from "../../lib/store/mod.ts";
import type { ArtifactValue } from "../../lib/factory/mod.ts";

/** The summary of the finished record `next` (redacted where it is stored). */
export function runSummary(
  next: RunRecord,
  setup: ArtifactValue<"setup_report"> | null,
): ArtifactValue<"summary"> {
  return {
    run_id: next.id,
    status: next.status,
    title: next.title,
    repo: next.repo,
    clone_branch: next.clone_branch,
    push_branch: next.push_branch,
    iterations: next.iteration,
    max_iterations: next.max_iterations,
    result_summary: next.result_summary,
    error: next.error,
    usage: next.usage,
    ...(setup
      ? {
        setup: {
          status: setup.status,
          environment: setup.environment,
          commands: setup.commands.map((c) => ({
            command: c.command,
            exit_code: c.exit_code,
            duration_ms: c.duration_ms,
          })),
        },
      }
      : {}),
    created_at: next.created_at,
    started_at: next.started_at,
    finished_at: next.finished_at,
  };
}
