/**
 * Values as Deno KV stores them: a Uint8Array as raw bytes, a Deno.KvU64 as
 * an unsigned 64-bit number (kept in a `numeric` column so `sum`, `min` and
 * `max` run in SQL), anything else as V8 structured-clone bytes — the same
 * serializer Deno KV uses, so Map, Set, Date, bigint, typed arrays and cycles
 * round-trip and functions or symbols are refused the same way.
 */
import { deserialize, serialize } from "node:v8";

/** Largest serialized value Deno KV accepts. */
export const MAX_VALUE_BYTES = 65_536;

/** How a stored value is encoded (the `enc` column). */
export const Encoding = { v8: 1, bytes: 2, u64: 3 } as const;

/** A value ready for a row: bytes (v8 or raw) or a KvU64 number. */
export type EncodedValue =
  | { enc: typeof Encoding.v8 | typeof Encoding.bytes; bytes: Uint8Array }
  | { enc: typeof Encoding.u64; u64: bigint };

/** Encodes `value`; throws Deno KV's TypeError for what cannot be cloned (size: `checkValueSize`). */
export function encodeValue(value: unknown): EncodedValue {
  if (value instanceof Deno.KvU64) {
    return { enc: Encoding.u64, u64: value.value };
  }
  let encoded: EncodedValue;
  if (value instanceof Uint8Array) {
    encoded = { enc: Encoding.bytes, bytes: Uint8Array.from(value) };
  } else {
    let bytes: Uint8Array;
    try {
      bytes = serialize(value);
    } catch (error) {
      throw new TypeError(
        error instanceof Error ? error.message : String(error),
        { cause: error },
      );
    }
    encoded = { enc: Encoding.v8, bytes };
  }
  return encoded;
}

/** Throws Deno KV's TypeError for a value over the size limit. */
export function checkValueSize(value: EncodedValue): void {
  if (value.enc !== Encoding.u64 && value.bytes.byteLength > MAX_VALUE_BYTES) {
    throw new TypeError(`Value too large (max ${MAX_VALUE_BYTES} bytes)`);
  }
}

/** Decodes a stored row's value. */
export function decodeValue(
  enc: number,
  bytes: Uint8Array | null,
  u64: string | bigint | null,
): unknown {
  if (enc === Encoding.u64) return new Deno.KvU64(BigInt(u64 ?? 0));
  // Copy out of the driver's Buffer: callers get a plain Uint8Array, as from Deno KV.
  const plain = Uint8Array.from(bytes ?? new Uint8Array());
  if (enc === Encoding.bytes) return plain;
  if (enc === Encoding.v8) return deserialize(plain);
  throw new TypeError(`Cannot decode a stored value: unknown encoding ${enc}`);
}

/** Stored size of an encoded value, as Deno KV counts it against its limits. */
export function encodedSize(value: EncodedValue): number {
  return value.enc === Encoding.u64 ? 8 : value.bytes.byteLength;
}
