/** Applies commit specs to a Deno KV atomic operation, within KV's limits. */
import type { CommitSpec } from "./records.ts";
import type { Mutation } from "./types.ts";

/** Deno KV limits of one atomic operation (checks, mutations, total bytes). */
export const KV_LIMITS = {
  checks: 100,
  mutations: 1000,
  bytes: 819_200,
  valueBytes: 65_536,
};

/** Longest wake-up delay handed to a KV queue (7 days; KV allows 30). */
const MAX_QUEUE_DELAY_MS = 7 * 24 * 3600 * 1000;

/** Adds declarative mutations to `op`; a `sum` of a negative bigint wraps as KvU64 does (a decrement). */
export function addMutations(
  op: Deno.AtomicOperation,
  mutations: readonly Mutation[],
): Deno.AtomicOperation {
  for (const m of mutations) {
    switch (m.kind) {
      case "set":
        op.set(m.key, m.value);
        break;
      case "delete":
        op.delete(m.key);
        break;
      case "sum":
        op.sum(m.key, BigInt.asUintN(64, m.value));
        break;
      case "check":
        op.check({ key: m.key, versionstamp: m.versionstamp });
        break;
    }
  }
  return op;
}

/** Adds a spec's checks, mutations and enqueues to `op`. */
export function addSpec(
  op: Deno.AtomicOperation,
  spec: CommitSpec,
  withEnqueues = true,
): void {
  for (const c of spec.checks) op.check(c);
  addMutations(op, spec.mutations);
  if (!withEnqueues) return;
  for (const q of spec.enqueues) {
    // KV queues accept delays up to 30 days; a later timer is still found by the scans.
    op.enqueue(q.value, {
      delay: Math.min(MAX_QUEUE_DELAY_MS, Math.max(0, Math.floor(q.delay))),
    });
  }
}

/** Counts of a spec against the limits (bytes is an estimate). */
export interface SpecSize {
  checks: number;
  mutations: number;
  bytes: number;
}

/** Measures a spec; `mutations` includes enqueues, as KV counts them. */
export function specSize(spec: CommitSpec): SpecSize {
  let checks = spec.checks.length;
  let mutations = spec.enqueues.length;
  let bytes = 0;
  for (const m of spec.mutations) {
    bytes += keyBytes(m.key);
    if (m.kind === "check") {
      checks++;
      continue;
    }
    mutations++;
    if (m.kind === "set") bytes += valueBytes(m.value);
    else if (m.kind === "sum") bytes += 8;
  }
  for (const q of spec.enqueues) bytes += valueBytes(q.value);
  return { checks, mutations, bytes };
}

/** Why a spec cannot commit even alone, or null when it fits. */
export function limitError(size: SpecSize): string | null {
  if (size.checks > KV_LIMITS.checks) {
    return `Step has ${size.checks} checks (Deno KV allows ${KV_LIMITS.checks} per commit)`;
  }
  if (size.mutations > KV_LIMITS.mutations) {
    return `Step has ${size.mutations} mutations (Deno KV allows ${KV_LIMITS.mutations} per commit)`;
  }
  if (size.bytes > KV_LIMITS.bytes) {
    return `Step writes about ${size.bytes} bytes (Deno KV allows ${KV_LIMITS.bytes} per commit)`;
  }
  return null;
}

function keyBytes(key: Deno.KvKey): number {
  let n = 2;
  for (const part of key) {
    n += typeof part === "string" ? part.length + 2 : 10;
  }
  return n;
}

/** A cheap upper-ish estimate of a value's serialized size. */
function valueBytes(value: unknown): number {
  if (typeof value === "string") return value.length + 4;
  if (value instanceof Uint8Array) return value.byteLength + 4;
  if (value === null || typeof value !== "object") return 16;
  try {
    return JSON.stringify(
      value,
      (_k, v) => typeof v === "bigint" ? String(v) : v,
    )
      .length + 8;
  } catch {
    return 1024;
  }
}
