/**
 * A cache of at most `capacity` entries that forgets the least recently
 * used entry when full.
 */
export class LruCache<K, V> {
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** The value of `key` (undefined when absent); marks it as the most recently used. */
  get(key: K): V | undefined {
    throw new Error("not implemented");
  }

  /** Sets `key` to `value` and marks it as the most recently used. */
  set(key: K, value: V): void {
    throw new Error("not implemented");
  }
}
