/**
 * Walking the groups of a key range without reading their members: one
 * `list` of one entry per group, then a jump past the group (`[…, id]` sorts
 * before `[…, id + "\0"]`). Sweeps use it to visit each run (or each chunk
 * generation) once, however many keys it holds.
 */

/**
 * Yields the `width` string key parts after `root` of each group under
 * `root`, in key order. Stops at a key whose parts are not strings (not one
 * this store writes: left for a person to look at).
 */
export async function* keyGroups(
  kv: Deno.Kv,
  root: Deno.KvKey,
  width: number,
): AsyncGenerator<string[]> {
  let start: Deno.KvKey | null = null;
  for (;;) {
    const selector: Deno.KvListSelector = start
      ? { prefix: root, start }
      : { prefix: root };
    const entries: Deno.KvEntry<unknown>[] = await Array.fromAsync(
      kv.list(selector, { limit: 1 }),
    );
    const first: Deno.KvEntry<unknown> | undefined = entries[0];
    if (!first) return;
    const parts = first.key.slice(root.length, root.length + width);
    if (
      parts.length < width || !parts.every((p) => typeof p === "string")
    ) return;
    const ids = parts as string[];
    start = [...root, ...ids.slice(0, -1), `${ids.at(-1)}\0`];
    yield ids;
  }
}
