/**
 * In-memory view of run records for the API's read path (`GET /runs/{id}`),
 * with each record's JSON serialized once.
 *
 * - A finished run never changes (the store refuses it), so it stays cached
 *   until evicted: coherent across processes too.
 * - A live run is re-read from KV once its entry is older than `maxAgeMs`
 *   (RunStore starts that read in the background at half that age, so busy
 *   readers do not wait for it).
 *   Every write of a run committed by this process invalidates the entry as
 *   soon as the commit settles (see RunStore.noteWrites), so this process
 *   always reads its own writes; writes by other processes sharing the KV
 *   show within `maxAgeMs`.
 * - A read that overlapped an invalidation is answered but not cached: each
 *   slot remembers the generation of its last invalidation, and a read
 *   started before it may not fill the slot.
 */
import type { RunRecord } from "./types.ts";
import { TERMINAL_STATUSES } from "./types.ts";

/** A frozen run record and its JSON text. */
export class RunView {
  #json: string | null = null;

  constructor(readonly run: RunRecord) {
    Object.freeze(run.usage);
    Object.freeze(run);
  }

  /** `JSON.stringify(run)`, computed once. */
  get json(): string {
    return this.#json ??= JSON.stringify(this.run);
  }

  /** True when the run can no longer change. */
  get finished(): boolean {
    return TERMINAL_STATUSES.has(this.run.status);
  }
}

interface Slot {
  view: RunView | null;
  /** The cache clock's time when `view` was read. */
  readAt: number;
  /** Generation of this id's last invalidation. */
  invalidated: number;
  /** Approximate bytes the view holds (its record and its JSON). */
  bytes: number;
}

/** Approximate memory of a view: the work order dominates; the rest is small. */
function weigh(view: RunView | null): number {
  return view === null ? 64 : 2 * view.run.work_order_md.length + 2048;
}

/** Options of RunCache. */
export interface RunCacheOptions {
  /** Age after which a live run is re-read (0: live runs are never served from memory). */
  maxAgeMs: number;
  /** Slots kept, least recently used evicted first (default 10,000). */
  maxEntries?: number;
  /** Approximate memory the slots may hold (default 64 MiB), evicted the same way. */
  maxBytes?: number;
  /** Monotonic milliseconds (default `performance.now`); tests pass a fake clock. */
  now?: () => number;
}

/** Bounded LRU of run views; see the module comment for when an entry may be served. */
export class RunCache {
  readonly #maxAgeMs: number;
  readonly #max: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #slots = new Map<string, Slot>();
  #bytes = 0;
  #generation = 0;
  /** No read started before this generation may fill a slot that is not present. */
  #floor = 0;

  constructor(opts: RunCacheOptions) {
    this.#maxAgeMs = opts.maxAgeMs;
    this.#max = opts.maxEntries ?? 10_000;
    this.#maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** The cache's clock: what `offer`'s `readAt` is measured on. */
  now(): number {
    return this.#now();
  }

  /**
   * The view if it may be served without reading KV. Calls `refresh` when a
   * live view is past half its life, so the caller can re-read it before it
   * expires (readers then never wait).
   */
  get(id: string, refresh?: (id: string) => void): RunView | undefined {
    const slot = this.#slots.get(id);
    const view = slot?.view;
    if (!view) return undefined;
    if (!view.finished) {
      const age = this.#now() - slot.readAt;
      if (age > this.#maxAgeMs) return undefined;
      if (refresh && age > this.#maxAgeMs / 2) refresh(id);
    }
    this.#slots.delete(id);
    this.#slots.set(id, slot);
    return view;
  }

  /** Token to take before reading KV and hand to `offer`. */
  token(): number {
    return this.#generation;
  }

  /**
   * Wraps a record just read from KV (with the token taken before the read)
   * and caches it unless an invalidation of `run.id` overlapped the read.
   */
  offer(run: RunRecord, token: number, readAt: number): RunView {
    const view = new RunView(run);
    const slot = this.#slots.get(run.id);
    const invalidated = slot?.invalidated ?? this.#floor;
    if (token < invalidated) return view;
    if (!view.finished && this.#maxAgeMs <= 0) return view;
    if (slot?.view && slot.readAt > readAt) return view;
    if (weigh(view) > this.#maxBytes) {
      // Too large to keep; an older view of it must not outlive this read.
      if (slot?.view) this.#put(run.id, null, 0, invalidated);
      return view;
    }
    this.#put(run.id, view, readAt, invalidated);
    return view;
  }

  /** Forgets `id`'s record and refuses reads of it that started before now. */
  invalidate(id: string): void {
    this.#put(id, null, 0, ++this.#generation);
  }

  #put(
    id: string,
    view: RunView | null,
    readAt: number,
    invalidated: number,
  ): void {
    this.#drop(id);
    const bytes = weigh(view);
    this.#slots.set(id, { view, readAt, invalidated, bytes });
    this.#bytes += bytes;
    while (this.#slots.size > this.#max || this.#bytes > this.#maxBytes) {
      const oldest = this.#slots.keys().next().value!;
      const evicted = this.#drop(oldest)!;
      this.#floor = Math.max(this.#floor, evicted.invalidated);
    }
  }

  #drop(id: string): Slot | undefined {
    const slot = this.#slots.get(id);
    if (slot) {
      this.#slots.delete(id);
      this.#bytes -= slot.bytes;
    }
    return slot;
  }

  /** Slots held and their approximate bytes (for tests and diagnostics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#slots.size, bytes: this.#bytes };
  }
}
