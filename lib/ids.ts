/** Time-ordered run ids: UUIDv7 (RFC 9562), monotonic within a process. */

const RAND_A_MAX = 0xfff;

let lastMs = -1;
let lastCounter = 0;

/**
 * Returns a new UUIDv7. Within one millisecond the 12-bit `rand_a` field is a
 * counter (seeded randomly in its lower half), so ids from one process sort in
 * creation order; on counter overflow or a clock step back the timestamp is
 * carried forward instead.
 */
export function newRunId(now: number = Date.now()): string {
  let ms = Math.floor(now);
  if (ms > lastMs) {
    lastMs = ms;
    lastCounter = randomInt(0x800);
  } else {
    ms = lastMs;
    lastCounter++;
    if (lastCounter > RAND_A_MAX) {
      lastMs = ms = lastMs + 1;
      lastCounter = randomInt(0x800);
    }
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes.subarray(8));
  // 48-bit big-endian millisecond timestamp.
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes[6] = 0x70 | (lastCounter >> 8);
  bytes[7] = lastCounter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
    hex.slice(16, 20)
  }-${hex.slice(20)}`;
}

const UUID_V7 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True for a lowercase UUIDv7 string such as `newRunId()` returns. */
export function isRunId(value: string): boolean {
  return UUID_V7.test(value);
}

/** The creation time (ms since the epoch) encoded in a UUIDv7. */
export function runIdTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

function randomInt(bound: number): number {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return n! % bound;
}
