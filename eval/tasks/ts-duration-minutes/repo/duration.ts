/** Formats a number of seconds as `1h 02m 03s`, `4m 05s` or `6s` (fractions dropped). */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) {
    throw new RangeError(
      `Expected a non-negative number of seconds, got ${totalSeconds}`,
    );
  }
  const seconds = Math.floor(totalSeconds);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 1) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}
