/** Polling for end-to-end tests: wait for something another process does. */

/**
 * Calls `probe` every `intervalMs` until it returns a value other than
 * null, undefined or false, and returns that value; throws naming `what`
 * after `timeoutMs`. A probe still pending after `probeTimeoutMs` (a fetch
 * to a stalled service) counts as "not yet" and is tried again.
 */
export async function until<T>(
  what: string,
  probe: () =>
    | T
    | null
    | undefined
    | false
    | Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 50,
  probeTimeoutMs = Infinity,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const bounded = async () => {
    if (probeTimeoutMs === Infinity) return await probe();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        Promise.resolve(probe()),
        new Promise<false>((r) => {
          timer = setTimeout(
            () => r(false),
            Math.min(probeTimeoutMs, Math.max(0, deadline - Date.now()) + 10),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  while (true) {
    const value = await bounded();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
