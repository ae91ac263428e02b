/**
 * A `list` selector as a byte range [start, end) of encoded keys, with Deno
 * KV's errors, and cursors as Deno KV makes them: base64 of the last key's
 * bytes after the selector's common prefix.
 */
import { checkKey, encodeKey } from "./key_codec.ts";
import { fromLatin1, latin1 } from "./commit_plan.ts";

/** A byte range of keys and the prefix cursors are relative to. */
export interface KeyRange {
  start: Uint8Array;
  end: Uint8Array;
  /** Bytes every key in the range starts with (cursors omit them). */
  common: Uint8Array;
}

/** The range `selector` names; throws Deno KV's TypeErrors for inconsistent selectors. */
export function selectorRange(selector: Deno.KvListSelector): KeyRange {
  const has = (name: string) => name in selector;
  const part = (name: "prefix" | "start" | "end") => {
    const key = (selector as Record<string, Deno.KvKey>)[name]!;
    const bytes = encodeKey(key);
    checkKey(key, bytes, "read");
    return bytes;
  };
  if (has("prefix")) {
    const prefix = part("prefix");
    const lower = concat(prefix, [0x00]);
    const upper = concat(prefix, [0xff]);
    if (has("start")) {
      const start = part("start");
      if (!startsWith(start, prefix) || start.length === prefix.length) {
        throw new TypeError(
          "Start key is not in the keyspace defined by prefix",
        );
      }
      return { start, end: upper, common: prefix };
    }
    if (has("end")) {
      const end = part("end");
      if (!startsWith(end, prefix) || end.length === prefix.length) {
        throw new TypeError("End key is not in the keyspace defined by prefix");
      }
      return { start: lower, end, common: prefix };
    }
    return { start: lower, end: upper, common: prefix };
  }
  if (has("start") && has("end")) {
    const start = part("start");
    const end = part("end");
    if (compare(start, end) > 0) {
      throw new TypeError("Start key is greater than end key");
    }
    return { start, end, common: commonPrefix(start, end) };
  }
  throw new TypeError(
    "Invalid selector: expected prefix, prefix with start or end, or start and end",
  );
}

/** Narrows `range` to what follows (or, reversed, precedes) the key `cursor` names. */
export function resumeAt(
  range: KeyRange,
  cursor: string,
  reverse: boolean,
): KeyRange {
  let rest: Uint8Array;
  try {
    rest = fromLatin1(atob(cursor));
  } catch {
    throw new TypeError("invalid cursor");
  }
  const key = concat(range.common, rest);
  if (compare(key, range.start) < 0 || compare(key, range.end) >= 0) {
    throw new TypeError("invalid cursor");
  }
  // The key after `key` in byte order is key + 0x00.
  return reverse
    ? { ...range, end: key }
    : { ...range, start: concat(key, [0x00]) };
}

/** The cursor that resumes after `key` (encoded) in `range`. */
export function cursorOf(range: KeyRange, key: Uint8Array): string {
  return btoa(latin1(key.subarray(range.common.length)));
}

function concat(a: Uint8Array, b: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[i] !== prefix[i]) return false;
  }
  return true;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.subarray(0, i);
}

/** Byte order, as Postgres compares bytea. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}
