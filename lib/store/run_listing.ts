/**
 * Listing and counting runs from the indexes and counters only: a page reads
 * `offset + limit` index keys (no values) and `limit` records, never a scan of
 * all runs; totals come from the atomic counters.
 */
import { ValidationError } from "../errors.ts";
import type { StoreKeys } from "./keys.ts";
import { fromStored, type StoredRun } from "./run_codec.ts";
import { RUN_STATUSES, type RunRecord, type RunStatus } from "./types.ts";

/** Query of listRuns. */
export interface ListRunsQuery {
  /** 1–1000. */
  limit: number;
  /** Runs to skip, newest first. */
  offset: number;
  /** Only runs in this status. */
  status?: RunStatus;
}

/** Per-status run counts plus the total. */
export type RunCounts = Record<RunStatus, number> & { total: number };

/** A page of runs, newest first, and how many match the filter. */
export async function listRunsAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  q: ListRunsQuery,
): Promise<{ runs: RunRecord[]; total: number }> {
  checkPage(q);
  const prefix = q.status === undefined
    ? keys.byTime()
    : keys.byStatus(q.status);
  const want = q.offset + q.limit;
  const ids: string[] = [];
  let skipped = 0;
  // UUIDv7 ids sort by creation time, so the reverse key order is newest first.
  const iter = kv.list({ prefix }, {
    reverse: true,
    limit: want,
    batchSize: Math.min(want, 1000),
  });
  for await (const entry of iter) {
    if (skipped < q.offset) {
      skipped++;
      continue;
    }
    ids.push(entry.key[entry.key.length - 1] as string);
  }
  const runs: RunRecord[] = [];
  // getMany takes at most 10 keys.
  for (let i = 0; i < ids.length; i += 10) {
    const entries = await kv.getMany<StoredRun[]>(
      ids.slice(i, i + 10).map((id) => keys.run(id)),
    );
    for (const entry of entries) {
      if (entry.value !== null) {
        runs.push(await fromStored(kv, keys, entry.value));
      }
    }
  }
  const counts = await countsAt(kv, keys);
  return {
    runs,
    total: q.status === undefined ? counts.total : counts[q.status],
  };
}

/** Per-status counts and the total, from the counters. */
export async function countsAt(
  kv: Deno.Kv,
  keys: StoreKeys,
): Promise<RunCounts> {
  const names = [...RUN_STATUSES, "total"] as const;
  const entries = await kv.getMany<Deno.KvU64[]>(
    names.map((n) => keys.count(n)),
  );
  const counts = {} as RunCounts;
  names.forEach((name, i) => {
    counts[name] = Number(entries[i]?.value?.value ?? 0n);
  });
  return counts;
}

function checkPage(q: ListRunsQuery): void {
  const issues = [];
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) {
    issues.push({
      field: "limit",
      message: `Must be an integer from 1 to 1000, got '${q.limit}'`,
    });
  }
  if (!Number.isInteger(q.offset) || q.offset < 0) {
    issues.push({
      field: "offset",
      message: `Must be a non-negative integer, got '${q.offset}'`,
    });
  }
  if (q.status !== undefined && !RUN_STATUSES.includes(q.status)) {
    issues.push({
      field: "status",
      message: `Must be one of ${RUN_STATUSES.join(", ")}, got '${q.status}'`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}
