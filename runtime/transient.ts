/** Retries of KV calls that fail because another process holds the SQLite write lock. */

/** True for errors that go away on retry ("database is locked", busy). */
export function isTransient(error: unknown): boolean {
  return error instanceof Error &&
    /database is locked|database table is locked|SQLITE_BUSY|busy/i.test(
      error.message,
    );
}

/** Runs `op`, retrying transient failures with jittered backoff (about 10 s in all). */
export async function retryTransient<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await op();
    } catch (error) {
      if (!isTransient(error) || attempt >= 200) throw error;
      await new Promise((r) =>
        setTimeout(r, Math.min(50, 1 + attempt * 2) * (0.5 + Math.random()))
      );
    }
  }
}

/** Lists up to `limit` values under `prefix` in key order. */
export async function listValues<T>(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  limit: number,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of kv.list<T>({ prefix }, { limit })) {
    out.push(item.value);
  }
  return out;
}
