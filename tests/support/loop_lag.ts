/**
 * An event-loop lag probe: a short interval timer that records the longest
 * gap between its ticks beyond the interval, i.e. the longest time anything
 * kept the loop from running timers. Tests use it as a correctness bound
 * (generous, so it never flakes), not as a performance target.
 */

/**
 * The lag tests allow: the stalls they guard against were seconds to hours
 * (a 150 KB write_file 9 s, a 24 MiB reply 15 minutes), while a loaded
 * machine running the suite in parallel delays a timer by several hundred ms
 * on its own.
 */
export const MAX_LAG_MS = 2000;

/** A running probe; `stop()` ends it and returns the worst lag seen in ms. */
export interface LagProbe {
  stop(): number;
}

/** Starts a probe ticking every `intervalMs`. */
export function startLagProbe(intervalMs = 10): LagProbe {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - intervalMs);
    last = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      // The gap up to now counts too: work that ran since the last tick.
      worst = Math.max(worst, performance.now() - last - intervalMs);
      return worst;
    },
  };
}

/** Runs `fn` under a probe and returns its result with the worst lag seen. */
export async function withLagProbe<T>(
  fn: () => Promise<T> | T,
): Promise<{ value: T; lagMs: number }> {
  const probe = startLagProbe();
  try {
    const value = await fn();
    return { value, lagMs: probe.stop() };
  } catch (error) {
    probe.stop();
    throw error;
  }
}
