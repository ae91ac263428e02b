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
  /** `performance.now()` when `view` was read. */
  readAt: number;
  /** Generation of this id's last invalidation. */
  invalidated: number;
}

/** Options of RunCache. */
export interface RunCacheOptions {
  /** Age after which a live run is re-read (0: live runs are never served from memory). */
  maxAgeMs: number;
  /** Slots kept, least recently used evicted first. */
  maxEntries?: number;
}

/** Bounded LRU of run views; see the module comment for when an entry may be served. */
export class RunCache {
  readonly #maxAgeMs: number;
  readonly #max: number;
  readonly #slots = new Map<string, Slot>();
  #generation = 0;
  /** No read started before this generation may fill a slot that is not present. */
  #floor = 0;

  constructor(opts: RunCacheOptions) {
    this.#maxAgeMs = opts.maxAgeMs;
    this.#max = opts.maxEntries ?? 10_000;
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
      const age = performance.now() - slot.readAt;
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
    this.#slots.delete(run.id);
    this.#slots.set(run.id, { view, readAt, invalidated });
    this.#evict();
    return view;
  }

  /** Forgets `id`'s record and refuses reads of it that started before now. */
  invalidate(id: string): void {
    const invalidated = ++this.#generation;
    this.#slots.delete(id);
    this.#slots.set(id, { view: null, readAt: 0, invalidated });
    this.#evict();
  }

  #evict(): void {
    while (this.#slots.size > this.#max) {
      const [oldest, slot] = this.#slots.entries().next().value!;
      this.#slots.delete(oldest);
      this.#floor = Math.max(this.#floor, slot.invalidated);
    }
  }
}
