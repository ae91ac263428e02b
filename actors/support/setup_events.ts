import type { SetupOutcome } from "../../lib/environment/mod.ts";

/** A run event as ctx.emit takes it. */
type SetupEvent = {
  kind: string;
  level: "INFO" | "WARN" | "ERROR";
  iteration: number | null;
  payload: Record<string, unknown>;
};

/**
 * The events of a setup outcome: one SETUP_RESULT per command that ran, then
 * SETUP_SAVED (a new cached environment) or SETUP_RESTORED (from the cache,
 * setup not run).
 */
export function setupEvents(
  outcome: SetupOutcome,
  iteration: number | null,
): SetupEvent[] {
  const events: SetupEvent[] = outcome.commands.map((command) => ({
    kind: "SETUP_RESULT",
    level: command.exit_code === 0 ? "INFO" : "ERROR",
    iteration,
    payload: {
      command: command.command,
      exit_code: command.exit_code,
      duration_ms: command.duration_ms,
      ...(command.timed_out ? { timed_out: true } : {}),
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
