/** Test helpers for the store tests: a real KV file in a temp dir and sample records. */
import { newRunId } from "../ids.ts";
import type { RunRecord, RunStatus } from "./types.ts";
import { openKv } from "./kv.ts";

/** Opens a KV file in a fresh temp dir; `close()` closes it and removes the dir. */
export async function tempKv(): Promise<
  { kv: Deno.Kv; dir: string; close(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "aos_store_" });
  const kv = await openKv(`${dir}/nested/aos.kv`);
  return {
    kv,
    dir,
    async close() {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A PENDING run record with test values. */
export function sampleRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: newRunId(),
    status: "PENDING" satisfies RunStatus,
    title: "Add calculator module",
    repo: "https://github.com/user/repo",
    clone_branch: "main",
    push_branch: null,
    iteration: 0,
    max_iterations: 5,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    result_summary: null,
    error: null,
    usage: {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      cost_usd: 0,
    },
    work_order_md: "---\nrepo: https://github.com/user/repo\n---\n\nDo it.\n",
    ...overrides,
  };
}

/** Counts index entries and records read through a real KV handle. */
export function countingKv(
  kv: Deno.Kv,
): { kv: Deno.Kv; listed: () => number; fetched: () => number } {
  let listed = 0;
  let fetched = 0;
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "list") {
        return async function* (
          selector: Deno.KvListSelector,
          options?: Deno.KvListOptions,
        ) {
          for await (const entry of target.list(selector, options)) {
            listed++;
            yield entry;
          }
        };
      }
      if (prop === "getMany") {
        return (keys: Deno.KvKey[]) => {
          fetched += keys.length;
          return target.getMany(keys);
        };
      }
      if (prop === "get") {
        return (key: Deno.KvKey) => {
          fetched++;
          return target.get(key);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, listed: () => listed, fetched: () => fetched };
}
