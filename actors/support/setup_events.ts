import type { SetupOutcome } from "../../lib/environment/mod.ts";
import { digestOutput } from "../../lib/sandbox/mod.ts";
import type { StationEvent } from "./station.ts";

/**
 * The events of a setup outcome: one SETUP_RESULT per command that ran, then
 * SETUP_SAVED (a new cached environment) or SETUP_RESTORED (from the cache,
 * setup not run).
 */
export function setupEvents(
  outcome: SetupOutcome,
  iteration: number | null,
): StationEvent[] {
  const events: StationEvent[] = outcome.commands.map((command) => ({
    kind: "SETUP_RESULT",
    level: command.exit_code === 0 ? "INFO" : "ERROR",
    iteration,
    payload: {
      command: command.command,
      exit_code: command.exit_code,
      duration_ms: command.duration_ms,
      ...(command.timed_out ? { timed_out: true } : {}),
      // A failure explains itself in the log: error-looking lines first, then head and tail.
      ...(command.exit_code === 0 ? {} : failureDigest(command.output)),
    },
  }));
  if (outcome.environment && outcome.key) {
    events.push({
      kind: outcome.status === "restored" ? "SETUP_RESTORED" : "SETUP_SAVED",
      level: "INFO",
      iteration,
      payload: {
        environment: outcome.key.slice(0, 12),
        files: outcome.environment.files,
        bytes: outcome.environment.bytes,
      },
    });
  }
  return events;
}

/** `error_lines`, `output_head`, `output_tail` of a failed command's output. */
function failureDigest(output: string) {
  const digest = digestOutput(output);
  return {
    error_lines: digest.error_lines,
    output_head: digest.head,
    output_tail: digest.tail,
    ...(digest.omitted_lines > 0
      ? { omitted_lines: digest.omitted_lines }
      : {}),
  };
}
