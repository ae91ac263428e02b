/**
 * KV key layout of the run store (DESIGN §4). Everything lives under one
 * prefix (default `["aos"]`):
 *
 * | key | value |
 * | --- | --- |
 * | `run, id` | stored run record (see run_codec.ts) |
 * | `run_md, id, n` | deflated work order text, part n (only for long work orders) |
 * | `run_by_time, id` | null — newest-first index (UUIDv7 ids sort by time) |
 * | `run_by_status, status, id` | null — per-status index |
 * | `run_count, status \| "total"` | KvU64 counter, changed with atomic sums |
 * | `idem, key` | run id submitted with that Idempotency-Key |
 * | `events, runId, seq` | one event `{ seq, ts, level?, kind, iteration?, payload? }` |
 * | `artifact, runId, name` | artifact metadata, written last |
 * | `artifact_chunk, runId, generation, n` | artifact bytes, ≤ 60 KiB per value |
 * | `journal, runId, name, …` | an agent turn's journal (see journal.ts) |
 */
import type { RunStatus } from "./types.ts";

/** Builds the keys of one store instance. */
export class StoreKeys {
  constructor(readonly prefix: Deno.KvKey) {}

  /** The run record. */
  run(id: string): Deno.KvKey {
    return [...this.prefix, "run", id];
  }
  /** The run id if `key` is a run record's key, else null. */
  runIdOf(key: Deno.KvKey): string | null {
    const n = this.prefix.length;
    if (key.length !== n + 2 || key[n] !== "run") return null;
    for (let i = 0; i < n; i++) if (key[i] !== this.prefix[i]) return null;
    const id = key[n + 1];
    return typeof id === "string" ? id : null;
  }
  /** Prefix of a run's stored work order parts. */
  runMd(id: string): Deno.KvKey {
    return [...this.prefix, "run_md", id];
  }
  /** Prefix of a run's validated work order (deflated JSON parts). */
  runWorkOrder(id: string): Deno.KvKey {
    return [...this.prefix, "run_wo", id];
  }
  /** Prefix of the newest-first index. */
  byTime(): Deno.KvKey {
    return [...this.prefix, "run_by_time"];
  }
  /** Prefix of one status index. */
  byStatus(status: RunStatus): Deno.KvKey {
    return [...this.prefix, "run_by_status", status];
  }
  /** A per-status counter, or the total. */
  count(status: RunStatus | "total"): Deno.KvKey {
    return [...this.prefix, "run_count", status];
  }
  /** The run id submitted under an Idempotency-Key. */
  idempotency(key: string): Deno.KvKey {
    return [...this.prefix, "idem", key];
  }
  /** The run id if `key` is one event's key (`events, runId, seq`), else null. */
  eventRunIdOf(key: Deno.KvKey): string | null {
    const n = this.prefix.length;
    if (key.length !== n + 3 || key[n] !== "events") return null;
    for (let i = 0; i < n; i++) if (key[i] !== this.prefix[i]) return null;
    const id = key[n + 1];
    return typeof id === "string" ? id : null;
  }
  /** Prefix of a run's event log. */
  events(runId: string): Deno.KvKey {
    return [...this.prefix, "events", runId];
  }
  /** Prefix of a run's artifact metadata. */
  artifacts(runId: string): Deno.KvKey {
    return [...this.prefix, "artifact", runId];
  }
  /** Prefix of one artifact generation's chunks. */
  artifactChunks(runId: string, generation: string): Deno.KvKey {
    return [...this.prefix, "artifact_chunk", runId, generation];
  }
  /** Prefix of one journal of a run (e.g. an SE turn's). */
  journal(runId: string, name: string): Deno.KvKey {
    return [...this.prefix, "journal", runId, name];
  }
}
