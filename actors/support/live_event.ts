/**
 * Events written to a run's log at once, outside the step's commit: what a
 * watcher must see while a step lasts (a model retry, an SE tool step, a
 * command starting) would otherwise wait for the step's end, minutes later.
 * Best effort: an event that cannot be written never fails the step.
 */
import type { NewEvent } from "../../lib/store/mod.ts";
import { type EventKind, redactedEvent } from "../../lib/factory/mod.ts";
import { oneLine } from "../../lib/agents/mod.ts";
import type { FactoryDeps } from "./deps.ts";

/** Appends one event of `runId` now, checked and redacted (lib/factory/events.ts `redactedEvent`). */
export type LiveEvent = (event: NewEvent & { kind: EventKind }) => void;

/** Where a command that starts comes from. */
export type CommandSource = "setup" | "se" | "acceptance";

/** Longest command text a CMD_START event keeps. */
const MAX_COMMAND_CHARS = 200;

/** The live event writer of one run. */
export function liveEvents(deps: FactoryDeps, runId: string): LiveEvent {
  return (event) => {
    const failed = (error: unknown) =>
      deps.log?.(
        deps.redactor.redact(`Could not append ${event.kind}: ${error}`),
      );
    try {
      deps.store.appendEvent(runId, redactedEvent(event, deps.redactor))
        .catch(failed);
    } catch (error) {
      failed(error);
    }
  };
}

/** A CMD_START event: the command redacted first, then put on one line and shortened. */
export function commandStart(
  deps: FactoryDeps,
  opts: {
    source: CommandSource;
    command: string;
    timeoutS: number;
    iteration: number | null;
  },
): NewEvent & { kind: EventKind } {
  return {
    kind: "CMD_START",
    level: "INFO",
    iteration: opts.iteration,
    payload: {
      source: opts.source,
      command: oneLine(deps.redactor.redact(opts.command), MAX_COMMAND_CHARS),
      timeout_s: opts.timeoutS,
    },
  };
}
