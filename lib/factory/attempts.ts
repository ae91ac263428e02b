/**
 * Best-of-N (`attempts` > 1): which attempts reach the PO, and which one is
 * "best" when the PO picks none — the one the next iteration continues from.
 */
import { commandFailed, type ToolReport } from "./shapes.ts";

/** One attempt's tool report, as the Tool Runner stored it. */
export interface AttemptReport {
  attempt: number;
  report: Pick<ToolReport, "commands" | "ok" | "diff" | "rejected">;
}

/** Why an attempt is left out before the PO's review, or null when it reaches the PO. */
export function dropReason(report: AttemptReport["report"]): string | null {
  if (!report.ok || report.commands.some(commandFailed)) {
    return "acceptance commands failed";
  }
  if (report.diff.trim() === "") return "no change";
  return null;
}

/**
 * The best attempt: the most acceptance commands passing, then the fewest
 * changes refused by the path policy, then one that changed something, then
 * the lowest attempt number (so the choice is the same on every replay).
 */
export function bestAttempt(reports: readonly AttemptReport[]): number {
  const ranked = [...reports].sort((a, b) =>
    passingCommands(b) - passingCommands(a) ||
    a.report.rejected.length - b.report.rejected.length ||
    changed(b) - changed(a) ||
    a.attempt - b.attempt
  );
  const best = ranked[0];
  if (!best) throw new RangeError("bestAttempt() needs at least one attempt");
  return best.attempt;
}

function passingCommands(a: AttemptReport): number {
  return a.report.commands.filter((c) => !commandFailed(c)).length;
}

function changed(a: AttemptReport): number {
  return a.report.diff.trim() === "" ? 0 : 1;
}
