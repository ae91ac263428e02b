/** A FIFO counting semaphore: the cap on concurrently running handlers. */
export class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];
  /** The number of permits. */
  readonly permits: number;

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(
        `Concurrency cap must be an integer >= 1, got "${permits}"`,
      );
    }
    this.#free = permits;
    this.permits = permits;
  }

  /** Permits held now. */
  get inUse(): number {
    return this.permits - this.#free;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Waits for a permit. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Returns a permit, handing it to the longest waiter. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
