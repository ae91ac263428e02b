/** Commits declarative mutation lists (runtime/types.ts `Mutation`) to KV. */
import { ConflictError } from "../errors.ts";
import type { Mutation } from "../../runtime/types.ts";

/** Adds mutations to an atomic operation; a `sum` of 2^64-1 is a decrement (KvU64 wraps). */
export function addMutations(
  op: Deno.AtomicOperation,
  mutations: Mutation[],
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

/** Commits all mutations in one atomic operation; ConflictError when a check fails. */
export async function applyMutations(
  kv: Deno.Kv,
  mutations: Mutation[],
): Promise<string> {
  const result = await addMutations(kv.atomic(), mutations).commit();
  if (!result.ok) {
    throw new ConflictError(
      "Commit rejected: a checked key changed concurrently",
    );
  }
  return result.versionstamp;
}

/** The wrapped 64-bit value whose sum decrements a counter by one. */
export const MINUS_ONE = (1n << 64n) - 1n;
