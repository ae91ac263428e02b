/** `kv.list()` on Postgres: batched range reads in key order with Deno KV's cursor and limits. */
import { MAX_BATCH } from "./limits.ts";
import {
  compare,
  cursorOf,
  type KeyRange,
  resumeAt,
  selectorRange,
} from "./list_range.ts";
import { type KvRow, rowEntry } from "./rows.ts";

/** Reads one batch of rows in [start, end), ascending or descending. */
export type RangeReader = (
  start: Uint8Array,
  end: Uint8Array,
  limit: number,
  reverse: boolean,
) => Promise<KvRow[]>;

const DEFAULT_BATCH = 100;

/** An async iterator over a selector, as `Deno.KvListIterator`. */
export class PostgresListIterator<T> implements Deno.KvListIterator<T> {
  #range: KeyRange | null = null;
  #error: unknown = null;
  #buffer: Deno.KvEntry<T>[] = [];
  #bufferKeys: Uint8Array[] = [];
  #lastKey: Uint8Array | null = null;
  #remaining: number;
  #exhausted = false;
  #started = false;
  readonly #reverse: boolean;
  readonly #batch: number;

  constructor(
    private readonly read: RangeReader,
    selector: Deno.KvListSelector,
    options: Deno.KvListOptions = {},
  ) {
    const { limit, cursor, reverse = false, batchSize } = options;
    this.#reverse = reverse;
    if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) {
      // Deno KV throws this one at once, and as a plain Error (not a TypeError).
      throw new Error(`Limit must be a positive integer: received ${limit}`);
    }
    this.#remaining = limit ?? Infinity;
    this.#batch = Math.min(batchSize ?? DEFAULT_BATCH, this.#remaining);
    if (batchSize !== undefined && batchSize > MAX_BATCH) {
      this.#error ??= new TypeError(`Too many entries (max ${MAX_BATCH})`);
    }
    if (this.#error) return;
    try {
      const range = selectorRange(selector);
      this.#range = cursor ? resumeAt(range, cursor, reverse) : range;
      this.#baseRange = range;
    } catch (error) {
      this.#error = error;
    }
  }

  #baseRange: KeyRange | null = null;

  /** Where to resume: after the last entry returned ("" once everything was read). */
  get cursor(): string {
    if (!this.#started) {
      throw new Error("Cannot get cursor before first iteration");
    }
    if (
      this.#lastKey === null ||
      (this.#exhausted && this.#buffer.length === 0 && this.#remaining > 0)
    ) {
      return "";
    }
    return cursorOf(this.#baseRange!, this.#lastKey);
  }

  /** The next entry in key order (reverse order with `reverse`). */
  async next(): Promise<IteratorResult<Deno.KvEntry<T>, undefined>> {
    this.#started = true;
    if (this.#error) throw this.#error;
    if (this.#remaining <= 0) return { done: true, value: undefined };
    if (this.#buffer.length === 0 && !this.#exhausted) await this.#fill();
    const entry = this.#buffer.shift();
    const key = this.#bufferKeys.shift();
    if (entry === undefined || key === undefined) {
      return { done: true, value: undefined };
    }
    this.#lastKey = key;
    this.#remaining--;
    return { done: false, value: entry };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Deno.KvEntry<T>> {
    return this;
  }

  async #fill(): Promise<void> {
    const range = this.#range!;
    if (range.start.length > 0 && compare(range.start, range.end) >= 0) {
      this.#exhausted = true;
      return;
    }
    const want = Math.min(this.#batch, this.#remaining);
    const rows = await this.read(range.start, range.end, want, this.#reverse);
    if (rows.length < want) this.#exhausted = true;
    for (const row of rows) {
      const key = Uint8Array.from(row.k);
      this.#buffer.push(rowEntry<T>(row));
      this.#bufferKeys.push(key);
    }
    const last = this.#bufferKeys[this.#bufferKeys.length - 1];
    if (last) {
      this.#range = this.#reverse
        ? { ...range, end: last }
        : { ...range, start: append0(last) };
    }
  }
}

function append0(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}
