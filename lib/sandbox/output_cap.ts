/** Caps command output to a byte budget, keeping its head and tail. */

/** Capped text, whether anything was cut, and the original size in bytes. */
export interface CappedOutput {
  text: string;
  truncated: boolean;
  bytes: number;
}

/** Default budget for one command's output. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The marker put where bytes were dropped. */
export function omittedMarker(omitted: number): string {
  return `\n… [AOS: ${omitted} bytes omitted] …\n`;
}

/** Keeps the first and last `maxBytes / 2` bytes of `text` (UTF-8), with a marker between. */
export function capOutput(
  text: string,
  maxBytes = DEFAULT_MAX_OUTPUT_BYTES,
): CappedOutput {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) {
    return { text, truncated: false, bytes: bytes.length };
  }
  const half = Math.floor(maxBytes / 2);
  return joinParts(
    bytes.subarray(0, half),
    bytes.subarray(bytes.length - half),
    bytes.length,
  );
}

/**
 * Collects a byte stream under a budget: the first `maxBytes / 2` bytes and a
 * rolling window of the last `maxBytes / 2`, so memory never exceeds `maxBytes`.
 */
export class CappedCollector {
  readonly #half: number;
  readonly #head: Uint8Array;
  #headLength = 0;
  readonly #tail: Uint8Array;
  /** Next write position in the tail ring. */
  #tailPos = 0;
  #tailLength = 0;
  #total = 0;

  constructor(maxBytes = DEFAULT_MAX_OUTPUT_BYTES) {
    this.#half = Math.max(1, Math.floor(maxBytes / 2));
    this.#head = new Uint8Array(this.#half);
    this.#tail = new Uint8Array(this.#half);
  }

  /** Adds a chunk of output. */
  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    let rest = chunk;
    if (this.#headLength < this.#half) {
      const take = Math.min(this.#half - this.#headLength, rest.length);
      this.#head.set(rest.subarray(0, take), this.#headLength);
      this.#headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    if (rest.length >= this.#half) {
      this.#tail.set(rest.subarray(rest.length - this.#half));
      this.#tailPos = 0;
      this.#tailLength = this.#half;
      return;
    }
    const first = Math.min(rest.length, this.#half - this.#tailPos);
    this.#tail.set(rest.subarray(0, first), this.#tailPos);
    this.#tail.set(rest.subarray(first), 0);
    this.#tailPos = (this.#tailPos + rest.length) % this.#half;
    this.#tailLength = Math.min(this.#half, this.#tailLength + rest.length);
  }

  /** The collected output, decoded as UTF-8, with a marker if bytes were dropped. */
  result(): CappedOutput {
    const head = this.#head.subarray(0, this.#headLength);
    const tail = this.#tailLength < this.#half
      ? this.#tail.subarray(0, this.#tailLength)
      : concat(
        this.#tail.subarray(this.#tailPos),
        this.#tail.subarray(0, this.#tailPos),
      );
    if (this.#total <= this.#headLength + this.#tailLength) {
      return {
        text: decoder.decode(concat(head, tail)),
        truncated: false,
        bytes: this.#total,
      };
    }
    return joinParts(head, tail, this.#total);
  }
}

function joinParts(
  head: Uint8Array,
  tail: Uint8Array,
  total: number,
): CappedOutput {
  // Cut on character boundaries so no half characters appear around the marker.
  const headEnd = trimIncompleteEnd(head);
  let tailStart = 0;
  while (tailStart < tail.length && isContinuation(tail[tailStart] ?? 0)) {
    tailStart++;
  }
  const kept = headEnd + (tail.length - tailStart);
  const text = decoder.decode(head.subarray(0, headEnd)) +
    omittedMarker(total - kept) +
    decoder.decode(tail.subarray(tailStart));
  return { text, truncated: true, bytes: total };
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/** Length of `bytes` without a trailing incomplete UTF-8 sequence. */
function trimIncompleteEnd(bytes: Uint8Array): number {
  let i = bytes.length;
  let continuation = 0;
  while (i > 0 && continuation < 4 && isContinuation(bytes[i - 1] ?? 0)) {
    i--;
    continuation++;
  }
  if (i === 0) return bytes.length;
  const lead = bytes[i - 1] ?? 0;
  const need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  // An ASCII byte before stray continuation bytes: invalid input, leave it to the decoder.
  if (need === 0 || need === continuation) return bytes.length;
  return i - 1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
