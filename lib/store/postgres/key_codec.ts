/**
 * Deno KV keys as order-preserving bytes: the tuple encoding Deno KV itself
 * uses (FoundationDB's layout), so byte order in Postgres (`bytea` compares
 * bytewise) is Deno KV's key order: Uint8Array < string < bigint < number <
 * boolean, and within a type the natural order.
 */

const BYTES = 0x01;
const STRING = 0x02;
const NEG_INT_LONG = 0x0b;
const INT_ZERO = 0x14;
const POS_INT_LONG = 0x1d;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

/** Longest encoded key Deno KV accepts in a write. */
export const MAX_WRITE_KEY_BYTES = 2048;
/** Longest encoded key Deno KV accepts in a read (one more than a write: range ends). */
export const MAX_READ_KEY_BYTES = 2049;

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder("utf-8", { fatal: true });

/** Encodes `key` (Deno KV key parts in order) to its ordered byte form. */
export function encodeKey(key: Deno.KvKey): Uint8Array {
  const out: number[] = [];
  for (const part of key) encodePart(out, part);
  return Uint8Array.from(out);
}

/** Decodes bytes written by `encodeKey` back to key parts. */
export function decodeKey(bytes: Uint8Array): Deno.KvKey {
  const parts: Deno.KvKeyPart[] = [];
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i++]!;
    if (tag === BYTES || tag === STRING) {
      const [raw, next] = readEscaped(bytes, i);
      i = next;
      parts.push(tag === BYTES ? raw : utf8Decode.decode(raw));
    } else if (tag >= NEG_INT_LONG && tag <= POS_INT_LONG) {
      const [value, next] = readInt(bytes, i, tag);
      i = next;
      parts.push(value);
    } else if (tag === DOUBLE) {
      parts.push(readDouble(bytes.subarray(i, i + 8)));
      i += 8;
    } else if (tag === FALSE || tag === TRUE) {
      parts.push(tag === TRUE);
    } else {
      throw new TypeError(`Cannot decode key: unknown type byte ${tag}`);
    }
  }
  return parts;
}

/** Throws Deno KV's errors for an empty key (in writes) or one too long. */
export function checkKey(
  key: Deno.KvKey,
  bytes: Uint8Array,
  use: "read" | "write",
): void {
  if (use === "write" && key.length === 0) {
    throw new TypeError("key cannot be empty");
  }
  const max = use === "write" ? MAX_WRITE_KEY_BYTES : MAX_READ_KEY_BYTES;
  if (bytes.length > max) {
    throw new TypeError(`Key too large for ${use} (max ${max} bytes)`);
  }
}

function encodePart(out: number[], part: unknown): void {
  if (part instanceof Uint8Array) {
    out.push(BYTES);
    pushEscaped(out, part);
  } else if (typeof part === "string") {
    out.push(STRING);
    pushEscaped(out, utf8.encode(part));
  } else if (typeof part === "bigint") {
    pushInt(out, part);
  } else if (typeof part === "number") {
    out.push(DOUBLE);
    pushDouble(out, part);
  } else if (typeof part === "boolean") {
    out.push(part ? TRUE : FALSE);
  } else if (ArrayBuffer.isView(part)) {
    // Deno accepts any ArrayBufferView and stores its bytes as a Uint8Array part.
    out.push(BYTES);
    pushEscaped(
      out,
      new Uint8Array(part.buffer, part.byteOffset, part.byteLength),
    );
  } else {
    throw new TypeError(
      "expected string, number, bigint, ArrayBufferView, boolean",
    );
  }
}

/** Writes bytes with 0x00 escaped as 0x00 0xff, then a 0x00 terminator. */
function pushEscaped(out: number[], bytes: Uint8Array): void {
  for (const b of bytes) {
    out.push(b);
    if (b === 0) out.push(0xff);
  }
  out.push(0);
}

function readEscaped(bytes: Uint8Array, from: number): [Uint8Array, number] {
  const raw: number[] = [];
  let i = from;
  while (i < bytes.length) {
    const b = bytes[i++]!;
    if (b !== 0) {
      raw.push(b);
      continue;
    }
    if (bytes[i] === 0xff) {
      raw.push(0);
      i++;
      continue;
    }
    return [Uint8Array.from(raw), i];
  }
  throw new TypeError("Cannot decode key: unterminated byte string");
}

/** Big-endian magnitude bytes of a non-negative bigint (none for zero). */
function magnitude(value: bigint): number[] {
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  return bytes;
}

function pushInt(out: number[], value: bigint): void {
  if (value === 0n) {
    out.push(INT_ZERO);
    return;
  }
  if (value > 0n) {
    const bytes = magnitude(value);
    if (bytes.length <= 8) out.push(INT_ZERO + bytes.length, ...bytes);
    else out.push(POS_INT_LONG, bytes.length, ...bytes);
    return;
  }
  // Negative: ones' complement of the magnitude, so larger magnitudes sort first.
  const bytes = magnitude(-value).map((b) => b ^ 0xff);
  if (bytes.length <= 8) out.push(INT_ZERO - bytes.length, ...bytes);
  else out.push(NEG_INT_LONG, bytes.length ^ 0xff, ...bytes);
}

function readInt(
  bytes: Uint8Array,
  from: number,
  tag: number,
): [bigint, number] {
  let i = from;
  let length: number;
  const negative = tag < INT_ZERO;
  if (tag === POS_INT_LONG) length = bytes[i++]!;
  else if (tag === NEG_INT_LONG) length = bytes[i++]! ^ 0xff;
  else length = Math.abs(tag - INT_ZERO);
  let value = 0n;
  for (let j = 0; j < length; j++) {
    const b = bytes[i + j]!;
    value = (value << 8n) | BigInt(negative ? b ^ 0xff : b);
  }
  return [negative ? -value : value, i + length];
}

function pushDouble(out: number[], value: number): void {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bytes = new Uint8Array(view.buffer);
  // Negative numbers invert every bit, others flip the sign bit: byte order = numeric order.
  if (bytes[0]! & 0x80) {
    for (let j = 0; j < 8; j++) bytes[j] = bytes[j]! ^ 0xff;
  } else bytes[0] = bytes[0]! ^ 0x80;
  out.push(...bytes);
}

function readDouble(encoded: Uint8Array): number {
  const bytes = Uint8Array.from(encoded);
  if (bytes[0]! & 0x80) bytes[0] = bytes[0]! ^ 0x80;
  else for (let j = 0; j < 8; j++) bytes[j] = bytes[j]! ^ 0xff;
  return new DataView(bytes.buffer).getFloat64(0);
}
