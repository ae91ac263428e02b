/**
 * An atomic operation folded into the arrays `kv_commit` takes: per key the
 * last set or delete wins, and sums/mins/maxes fold into it or into one u64
 * operation (a key mixing kinds on an unknown value keeps its sequence).
 * Also enforces Deno KV's limits and builds the notification payload.
 */
import { checkKey, encodeKey } from "./key_codec.ts";
import { keyHash } from "./key_hash.ts";
import {
  MAX_CHECKS,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
  MAX_TOTAL_MUTATION_BYTES,
} from "./limits.ts";
import {
  checkValueSize,
  encodedSize,
  type EncodedValue,
  Encoding,
} from "./value_codec.ts";
import { checkedVersion } from "./versionstamp.ts";

const U64_MOD = 1n << 64n;
/** u64 operation codes (the `u64_ops` column). */
const U64_OP = { sum: 1, min: 2, max: 3 } as const;
type U64Op = keyof typeof U64_OP;

/** A buffered mutation, as `AtomicOperation` records it. */
export type PendingMutation =
  | { kind: "set"; key: Deno.KvKey; value: EncodedValue; expireIn?: number }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: U64Op; key: Deno.KvKey; value: Deno.KvU64 };

/** A buffered enqueue. */
export interface PendingEnqueue {
  value: EncodedValue;
  delay: number;
  keysIfUndelivered: Deno.KvKey[];
  backoffSchedule: number[] | null;
}

/** Options stored with a queued message (jsonb): keys as base64 of their encoding. */
export interface QueueOptions {
  keys: string[];
  backoff: number[] | null;
}

type Folded =
  | { kind: "set"; value: EncodedValue; expireIn: number }
  | { kind: "delete" }
  | { kind: "u64"; ops: { op: U64Op; value: bigint }[] };

/** The arguments of one `kv_commit` call. */
export interface CommitPlan {
  checkKeys: Uint8Array[];
  checkVs: string[];
  delKeys: Uint8Array[];
  setKeys: Uint8Array[];
  setVals: Uint8Array[];
  setEnc: number[];
  setU: string[];
  setExpireIn: string[];
  u64Keys: Uint8Array[];
  u64Ops: number[];
  u64Vals: string[];
  seqKeys: Uint8Array[];
  seqOps: number[];
  seqVals: string[];
  qVals: Uint8Array[];
  qEnc: number[];
  qDelay: string[];
  qOptions: QueueOptions[];
  /** Hashes of written keys, `*` if too many; prefixed `q` when mail was enqueued. */
  payload: string;
}

/** Keys whose hashes go into a notification; past this, watchers re-read everything. */
const MAX_NOTIFIED_KEYS = 400;

/** Folds and validates an operation; throws Deno KV's TypeErrors for broken limits or values. */
export function planCommit(
  checks: readonly Deno.AtomicCheck[],
  mutations: readonly PendingMutation[],
  enqueues: readonly PendingEnqueue[],
): CommitPlan {
  if (checks.length > MAX_CHECKS) {
    throw new TypeError(`Too many checks (max ${MAX_CHECKS})`);
  }
  if (mutations.length + enqueues.length > MAX_MUTATIONS) {
    throw new TypeError(`Too many mutations (max ${MAX_MUTATIONS})`);
  }
  let keyBytes = 0;
  let mutationBytes = 0;
  const plan = emptyPlan();
  for (const check of checks) {
    const bytes = encodeKey(check.key);
    checkKey(check.key, bytes, "read");
    keyBytes += bytes.length;
    plan.checkKeys.push(bytes);
    plan.checkVs.push(String(checkedVersion(check.versionstamp)));
  }
  const folded = new Map<string, { bytes: Uint8Array; state: Folded }>();
  for (const m of mutations) {
    const bytes = encodeKey(m.key);
    checkKey(m.key, bytes, "write");
    keyBytes += bytes.length;
    const id = latin1(bytes);
    const prior = folded.get(id)?.state;
    let state: Folded;
    if (m.kind === "set") {
      const value = m.value;
      checkValueSize(value);
      mutationBytes += bytes.length + encodedSize(value);
      state = { kind: "set", value, expireIn: m.expireIn ?? -1 };
    } else if (m.kind === "delete") {
      mutationBytes += bytes.length;
      state = { kind: "delete" };
    } else {
      mutationBytes += bytes.length + 8;
      state = foldU64(prior, m.kind, m.value.value);
    }
    folded.set(id, { bytes, state });
  }
  const hashes: string[] = [];
  for (const { bytes, state } of folded.values()) {
    if (hashes.length <= MAX_NOTIFIED_KEYS) hashes.push(keyHash(bytes));
    addFolded(plan, bytes, state);
  }
  for (const q of enqueues) {
    const value = q.value;
    checkValueSize(value);
    mutationBytes += encodedSize(value);
    const keys = q.keysIfUndelivered.map((key) => {
      const bytes = encodeKey(key);
      checkKey(key, bytes, "write");
      keyBytes += bytes.length;
      return btoa(latin1(bytes));
    });
    plan.qVals.push(
      value.enc === Encoding.u64 ? new Uint8Array() : value.bytes,
    );
    plan.qEnc.push(value.enc);
    plan.qDelay.push(String(q.delay));
    plan.qOptions.push({ keys, backoff: q.backoffSchedule });
  }
  if (mutationBytes > MAX_TOTAL_MUTATION_BYTES) {
    throw new TypeError(
      `Total mutation size too large (max ${MAX_TOTAL_MUTATION_BYTES} bytes)`,
    );
  }
  if (keyBytes > MAX_TOTAL_KEY_BYTES) {
    throw new TypeError(
      `Total key size too large (max ${MAX_TOTAL_KEY_BYTES} bytes)`,
    );
  }
  const written = hashes.length > MAX_NOTIFIED_KEYS ? "*" : hashes.join(",");
  plan.payload = (enqueues.length > 0 ? "q" : "-") + written;
  return plan;
}

/** A plan that changes nothing (filled in by callers). */
export function emptyPlan(): CommitPlan {
  return {
    checkKeys: [],
    checkVs: [],
    delKeys: [],
    setKeys: [],
    setVals: [],
    setEnc: [],
    setU: [],
    setExpireIn: [],
    u64Keys: [],
    u64Ops: [],
    u64Vals: [],
    seqKeys: [],
    seqOps: [],
    seqVals: [],
    qVals: [],
    qEnc: [],
    qDelay: [],
    qOptions: [],
    payload: "",
  };
}

function foldU64(prior: Folded | undefined, op: U64Op, value: bigint): Folded {
  if (prior === undefined) return { kind: "u64", ops: [{ op, value }] };
  if (prior.kind === "delete") return setU64(value);
  if (prior.kind === "set") {
    if (prior.value.enc !== Encoding.u64) {
      throw new TypeError(
        `Failed to perform '${op}' mutation on a non-U64 value in the database`,
      );
    }
    return setU64(applyU64(op, prior.value.u64, value));
  }
  const last = prior.ops[prior.ops.length - 1]!;
  if (last.op === op) {
    last.value = applyU64(op, last.value, value);
    return prior;
  }
  prior.ops.push({ op, value });
  return prior;
}

function setU64(value: bigint): Folded {
  return {
    kind: "set",
    value: { enc: Encoding.u64, u64: value },
    expireIn: -1,
  };
}

function applyU64(op: U64Op, current: bigint, operand: bigint): bigint {
  if (op === "sum") return (current + operand) % U64_MOD;
  if (op === "min") return current < operand ? current : operand;
  return current > operand ? current : operand;
}

function addFolded(plan: CommitPlan, bytes: Uint8Array, state: Folded): void {
  if (state.kind === "delete") {
    plan.delKeys.push(bytes);
  } else if (state.kind === "set") {
    plan.setKeys.push(bytes);
    const v = state.value;
    plan.setVals.push(v.enc === Encoding.u64 ? new Uint8Array() : v.bytes);
    plan.setEnc.push(v.enc);
    plan.setU.push(v.enc === Encoding.u64 ? String(v.u64) : "0");
    plan.setExpireIn.push(String(state.expireIn));
  } else if (state.ops.length === 1) {
    plan.u64Keys.push(bytes);
    plan.u64Ops.push(U64_OP[state.ops[0]!.op]);
    plan.u64Vals.push(String(state.ops[0]!.value));
  } else {
    for (const { op, value } of state.ops) {
      plan.seqKeys.push(bytes);
      plan.seqOps.push(U64_OP[op]);
      plan.seqVals.push(String(value));
    }
  }
}

/** Bytes as a binary string (map keys, base64). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Inverse of `latin1`. */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The u64 operation name of a code (for the non-U64 error). */
export function u64OpName(code: number): U64Op {
  return code === 2 ? "min" : code === 3 ? "max" : "sum";
}
