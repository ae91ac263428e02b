/**
 * Collects artifact chunks no metadata points at: what a process killed
 * between writing an artifact's chunks and flipping its metadata, or between
 * the flip and deleting the replaced generation, leaves behind. Readers never
 * see such chunks; they only take space. A generation id is a UUIDv7, so its
 * age is known: only generations older than `minAgeMs` are collected, which
 * leaves every write still in progress alone.
 */
import { isRunId, runIdTime } from "../ids.ts";
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
  const referenced = new Map<string, Set<string>>();
  let start: Deno.KvKey | null = null;
  for (;;) {
    // One entry per generation: list from `start`, then skip past its chunks.
    const selector: Deno.KvListSelector = start
      ? { prefix: root, start }
      : { prefix: root };
    const entries: Deno.KvEntry<unknown>[] = await Array.fromAsync(
      kv.list(selector, { limit: 1 }),
    );
    const first: Deno.KvEntry<unknown> | undefined = entries[0];
    if (!first) return result;
    const runId: Deno.KvKeyPart | undefined = first.key[root.length];
    const generation: Deno.KvKeyPart | undefined = first.key[root.length + 1];
    // Not a key this store writes: leave the rest for a person to look at.
    if (typeof runId !== "string" || typeof generation !== "string") {
      return result;
    }
    start = [...root, runId, `${generation}\0`];
    if (!isRunId(generation) || now - runIdTime(generation) < opts.minAgeMs) {
      continue;
    }
    let inUse = referenced.get(runId);
    if (!inUse) {
      inUse = new Set();
      for await (
        const meta of kv.list<{ generation: string }>({
          prefix: keys.artifacts(runId),
        })
      ) inUse.add(meta.value.generation);
      referenced.clear(); // keep one run's set: generations are grouped by run
      referenced.set(runId, inUse);
    }
    if (inUse.has(generation)) continue;
    const prefix = keys.artifactChunks(runId, generation);
    const chunkKeys: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix })) chunkKeys.push(entry.key);
    for (let i = 0; i < chunkKeys.length; i += 100) {
      const op = kv.atomic();
      for (const key of chunkKeys.slice(i, i + 100)) op.delete(key);
      await op.commit();
    }
    result.generations++;
    result.chunks += chunkKeys.length;
  }
}
