/**
 * An in-process lock per key: callers of the same key (a mirror, a workspace
 * directory) run one after another, other keys at once. It orders the
 * calls of one process only.
 */
const chains = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call with the same key has settled. */
export async function withLock<T>(
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const current = previous.catch(() => {}).then(fn);
  chains.set(key, current);
  try {
    return await current;
  } finally {
    if (chains.get(key) === current) chains.delete(key);
  }
}
