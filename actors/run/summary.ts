/** `summary.json`: what a finished run's record and setup say, as one artifact. */
import type { RunRecord } from "../../lib/store/types.ts";

/** The part of `setup_report.json` the summary repeats. */
export interface SetupReport {
  status: string;
  environment: string | null;
  commands: {
    command: string;
    exit_code: number | null;
    duration_ms: number;
  }[];
}

/** The summary of the finished record `next` (the repo URL through `redact`). */
export function runSummary(
  next: RunRecord,
  setup: SetupReport | null,
  redact: (text: string) => string,
): Record<string, unknown> {
  return {
    run_id: next.id,
    status: next.status,
    title: next.title,
    repo: redact(next.repo),
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
