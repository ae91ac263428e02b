/**
 * Collects artifact chunks no metadata points at: what a process killed
 * between writing an artifact's chunks and flipping its metadata, or between
 * the flip and deleting the replaced generation, leaves behind. Readers never
 * see such chunks; they only take space. A generation id is a UUIDv7, so its
 * age is known: only generations older than `minAgeMs` are collected, which
 * leaves every write still in progress alone.
 */
import { isRunId, runIdTime } from "../ids.ts";
import { deletePrefix } from "./artifacts.ts";
import { keyGroups } from "./key_groups.ts";
import type { StoreKeys } from "./keys.ts";

/** What a sweep removed. */
export interface SweepResult {
  generations: number;
  chunks: number;
}

/** Deletes unreferenced chunk generations older than `minAgeMs`. */
export async function sweepOrphanChunksAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  opts: { minAgeMs: number; now?: number },
): Promise<SweepResult> {
  const now = opts.now ?? Date.now();
  const root = keys.artifactChunks("", "").slice(0, -2);
  const result: SweepResult = { generations: 0, chunks: 0 };
  let inUseRun: string | null = null;
  let inUse = new Set<string>();
  // One read per generation, then past its chunks.
  for await (const [runId, generation] of keyGroups(kv, root, 2)) {
    if (!runId || !generation) continue;
    if (!isRunId(generation) || now - runIdTime(generation) < opts.minAgeMs) {
      continue;
    }
    if (runId !== inUseRun) {
      // Generations are grouped by run: one run's references at a time.
      inUseRun = runId;
      inUse = new Set();
      for await (
        const meta of kv.list<{ generation: string }>({
          prefix: keys.artifacts(runId),
        })
      ) inUse.add(meta.value.generation);
    }
    if (inUse.has(generation)) continue;
    // Listed, not numbered 0 … n-1: a delete cut short leaves a tail.
    result.chunks += await deletePrefix(
      kv,
      keys.artifactChunks(runId, generation),
    );
    result.generations++;
  }
  return result;
}
