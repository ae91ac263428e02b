/** Deno KV's limits of one atomic operation and of reads, enforced the same way here. */

/** Checks per atomic operation. */
export const MAX_CHECKS = 100;
/** Mutations plus enqueues per atomic operation. */
export const MAX_MUTATIONS = 1000;
/** Bytes of keys and values written by one atomic operation. */
export const MAX_TOTAL_MUTATION_BYTES = 819_200;
/** Bytes of all keys one atomic operation names. */
export const MAX_TOTAL_KEY_BYTES = 81_920;
/** Keys per `getMany` and per `watch`. */
export const MAX_READ_KEYS = 10;
/** Entries per `list` batch. */
export const MAX_BATCH = 1000;
/** Longest `enqueue` delay (30 days). */
export const MAX_DELAY_MS = 30 * 24 * 3600 * 1000;
