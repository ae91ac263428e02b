/**
 * Collects the journals of runs that ended. An SE turn clears its journal
 * when it finishes, but a run cancelled or failed mid-turn (or a turn that
 * ended with the worker killed) leaves its journal behind: large transcripts
 * nothing will read again. Journals are grouped by run, so the sweep reads
 * one key per run (`keyGroups`), then deletes the journals of runs that are
 * terminal or gone.
 */
import { deletePrefix } from "./artifacts.ts";
import { keyGroups } from "./key_groups.ts";
import type { StoreKeys } from "./keys.ts";
import { type RunRecord, TERMINAL_STATUSES } from "./types.ts";

/** What a journal sweep removed. */
export interface JournalSweepResult {
  /** Runs whose journals were deleted. */
  runs: number;
  /** Keys deleted. */
  keys: number;
}

/** Deletes every journal of a run that is terminal or no longer exists. */
export async function sweepJournalsAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  runOf: (id: string) => Promise<RunRecord | null>,
): Promise<JournalSweepResult> {
  const root = keys.journal("", "").slice(0, -2);
  const result: JournalSweepResult = { runs: 0, keys: 0 };
  for await (const [runId] of keyGroups(kv, root, 1)) {
    if (!runId) continue;
    const run = await runOf(runId);
    if (run && !TERMINAL_STATUSES.has(run.status)) continue;
    result.keys += await deletePrefix(kv, [...root, runId]);
    result.runs++;
  }
  return result;
}
