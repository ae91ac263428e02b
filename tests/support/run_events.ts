/** Assertions on a run's event log that several end-to-end tests share. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunEvent } from "../../lib/store/types.ts";

/** The events a run of one iteration that pushes records, in order. */
export const ONE_PASS_KINDS = [
  "RUN_START",
  "SE_OUTPUT",
  "TR_APPLY",
  "PO_RESULT",
  "PUSH",
  "RUN_END",
] as const;

/** Asserts each of `kinds` stands exactly once in `events`; `label` prefixes the message. */
export function assertEachOnce(
  events: RunEvent[],
  kinds: readonly string[] = ONE_PASS_KINDS,
  label = "",
): void {
  for (const kind of kinds) {
    const times = events.filter((e) => e.kind === kind).length;
    assertEquals(times, 1, `${label}${kind} ${times} times`);
  }
}
