/**
 * A bounded cache of finished runs. A terminal record never changes (the
 * store refuses it), so caching it is always coherent, across processes too.
 */
import type { RunRecord } from "./types.ts";
import { TERMINAL_STATUSES } from "./types.ts";

/** LRU of frozen terminal run records. */
export class TerminalRunCache {
  readonly #max: number;
  readonly #runs = new Map<string, RunRecord>();

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** The cached record, refreshed as most recently used. */
  get(id: string): RunRecord | undefined {
    const run = this.#runs.get(id);
    if (run) {
      this.#runs.delete(id);
      this.#runs.set(id, run);
    }
    return run;
  }

  /** Caches `run` if it is terminal; returns it frozen either way it is cached. */
  offer(run: RunRecord): RunRecord {
    if (!TERMINAL_STATUSES.has(run.status)) return run;
    Object.freeze(run.usage);
    const frozen = Object.freeze(run);
    this.#runs.set(run.id, frozen);
    if (this.#runs.size > this.#max) {
      const oldest = this.#runs.keys().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
    return frozen;
  }
}
