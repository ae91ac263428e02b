/**
 * Cron expressions of scheduled runs, read by croner (5 fields, or 6 with
 * seconds first), in an IANA time zone (default UTC).
 */
import { Cron } from "croner";
import type { FieldIssue } from "../errors.ts";

/** Longest cron expression accepted. */
const MAX_CRON_CHARS = 200;

function pattern(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true });
}

/** Why `timezone` is not a usable IANA time zone, or null. */
export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return null;
  } catch {
    return `Unknown time zone '${
      timezone.slice(0, 64)
    }' (an IANA name such as 'UTC' or 'Europe/Berlin')`;
  }
}

/** The issues of a cron expression and time zone, each naming its field. */
export function cronIssues(cron: string, timezone: string): FieldIssue[] {
  const tz = timezoneProblem(timezone);
  if (tz) return [{ field: "timezone", message: tz }];
  if (cron.length > MAX_CRON_CHARS || /[\r\n\0]/.test(cron)) {
    return [{
      field: "cron",
      message: `Must be one line of at most ${MAX_CRON_CHARS} characters`,
    }];
  }
  try {
    if (pattern(cron, timezone).nextRun(new Date()) === null) {
      return [{ field: "cron", message: `'${cron}' never fires` }];
    }
    return [];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [{
      field: "cron",
      message:
        `Not a cron expression ('minute hour day month weekday', optionally seconds first): ${why}`,
    }];
  }
}

/** The first slot of `cron` strictly after `after`, or null when none is left. */
export function nextSlot(
  cron: string,
  timezone: string,
  after: Date,
): Date | null {
  return pattern(cron, timezone).nextRun(after);
}
