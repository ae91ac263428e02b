/** Commits declarative mutation lists (runtime/types.ts `Mutation`) to KV. */
import { ConflictError } from "../errors.ts";
import type { Mutation } from "../../runtime/mod.ts";
import { addMutations } from "../../runtime/mod.ts";

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
