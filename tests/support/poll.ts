/** Polling for end-to-end tests: wait for something another process does. */

/**
 * Calls `probe` every `intervalMs` until it returns a value other than
 * null, undefined or false, and returns that value; throws naming `what`
 * after `timeoutMs`.
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
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
