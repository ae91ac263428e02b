/**
 * Append-only journals in KV: JSON entries numbered 0, 1, 2… under one
 * prefix. An entry's bytes go in chunks under the 64 KiB value limit, keyed
 * by a fresh generation id, and its head record (written last, and only if
 * no head exists for that number yet) makes it visible; so a reader never
 * sees half an entry, and two writers racing for the same number cannot
 * both win.
 *
 * | key | value |
 * | --- | --- |
 * | `…prefix, seq, "c", generation, n` | entry bytes, ≤ 60 KiB each |
 * | `…prefix, seq, "h"` | `{ generation, chunks, bytes }` |
 */
import { newRunId } from "../ids.ts";
import { deleteKeys, deletePrefix } from "./artifacts.ts";

const CHUNK_BYTES = 60 * 1024;
/** Chunks per atomic commit: 600 KiB, under the 800 KiB commit limit. */
const CHUNKS_PER_COMMIT = 10;

interface Head {
  generation: string;
  chunks: number;
  bytes: number;
}

/** Another writer appended the same entry number first: this one's view of the journal is stale. */
export class JournalConflictError extends Error {
  override name = "JournalConflictError";
}

/** One journal: load it, then append to it. */
export class KvJournal<T> {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  #next: number | null = null;

  constructor(kv: Deno.Kv, prefix: Deno.KvKey) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  /** Every complete entry, in order (an entry a killed writer left half-written is not one). */
  async load(): Promise<T[]> {
    const heads = new Map<number, Head>();
    const chunks = new Map<string, Uint8Array>();
    for await (const item of this.#kv.list({ prefix: this.#prefix })) {
      const rest = item.key.slice(this.#prefix.length);
      const seq = rest[0];
      if (typeof seq !== "number") continue;
      if (rest[1] === "h") heads.set(seq, item.value as Head);
      else if (rest[1] === "c") {
        chunks.set(
          `${seq}/${String(rest[2])}/${String(rest[3])}`,
          item.value as Uint8Array,
        );
      }
    }
    const entries: T[] = [];
    const decoder = new TextDecoder();
    for (let seq = 0; heads.has(seq); seq++) {
      const head = heads.get(seq)!;
      const bytes = new Uint8Array(head.bytes);
      let offset = 0;
      for (let i = 0; i < head.chunks; i++) {
        const chunk = chunks.get(`${seq}/${head.generation}/${i}`);
        if (!chunk) {
          throw new Error(
            `Journal entry ${seq} under ${
              JSON.stringify(this.#prefix)
            } is missing chunk ${i}`,
          );
        }
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      entries.push(JSON.parse(decoder.decode(bytes)) as T);
    }
    this.#next = entries.length;
    return entries;
  }

  /** Persists `entry` as the next number; throws JournalConflictError if another writer took it. */
  async append(entry: T): Promise<void> {
    if (this.#next === null) await this.load();
    const seq = this.#next!;
    const bytes = new TextEncoder().encode(JSON.stringify(entry));
    const generation = newRunId();
    const count = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    const headKey = [...this.#prefix, seq, "h"];
    const chunkKey = (i: number) => [...this.#prefix, seq, "c", generation, i];
    const slice = (i: number) =>
      bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    let first = 0;
    // All but the last batch go first; the last batch commits with the head.
    while (count - first > CHUNKS_PER_COMMIT) {
      const op = this.#kv.atomic();
      for (let i = first; i < first + CHUNKS_PER_COMMIT; i++) {
        op.set(chunkKey(i), slice(i));
      }
      await op.commit();
      first += CHUNKS_PER_COMMIT;
    }
    const op = this.#kv.atomic().check({ key: headKey, versionstamp: null });
    for (let i = first; i < count; i++) op.set(chunkKey(i), slice(i));
    const head: Head = { generation, chunks: count, bytes: bytes.length };
    const { ok } = await op.set(headKey, head).commit();
    if (!ok) {
      await deleteKeys(
        this.#kv,
        Array.from({ length: count }, (_, i) => chunkKey(i)),
      );
      this.#next = null;
      throw new JournalConflictError(
        `Journal entry ${seq} was already written by another worker`,
      );
    }
    this.#next = seq + 1;
  }

  /** Deletes the whole journal. */
  async clear(): Promise<void> {
    await deletePrefix(this.#kv, this.#prefix);
    this.#next = 0;
  }
}
