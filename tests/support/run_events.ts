/** What end-to-end tests read back from a run's stored record, events and artifacts. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunEvent, RunStore } from "../../lib/store/mod.ts";

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

/** The run record, every event and every artifact body of a run, as one string (to look for secrets in). */
export async function everythingStored(
  store: RunStore,
  runId: string,
): Promise<string> {
  const parts = [JSON.stringify(await store.getRun(runId))];
  parts.push(JSON.stringify(await store.listEvents(runId)));
  for (const meta of await store.listArtifacts(runId)) {
    const { body } = await store.getArtifact(runId, meta.name);
    parts.push(new TextDecoder().decode(body));
  }
  return parts.join("\n");
}
