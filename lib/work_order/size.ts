/**
 * The 1 MiB rule: one limit on a work order however it arrives. A file is
 * measured as it is; fields sent as JSON are measured as the markdown made
 * from them (what is stored, shown and re-submittable with `aos submit`).
 */
import { ValidationError } from "../errors.ts";

/** Largest accepted work order file. */
export const MAX_WORK_ORDER_BYTES = 1024 * 1024;

/** Why a work order file of `size` bytes is refused, or null. */
export function fileSizeProblem(size: number): string | null {
  return size > MAX_WORK_ORDER_BYTES
    ? `Work order is ${size} bytes, more than the limit of ${MAX_WORK_ORDER_BYTES} (1 MiB)`
    : null;
}

/** 422 when the markdown made from JSON `fields` is (`atLeast`) `bytes` over the file limit, naming the largest fields. */
export function checkSize(
  bytes: number,
  atLeast: string,
  fields: Record<string, unknown>,
): void {
  if (bytes <= MAX_WORK_ORDER_BYTES) return;
  const largest = Object.entries(fields)
    .map(([name, value]) => [name, stringBytes(value)] as const)
    .sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([name, size]) => `${name} (${size} bytes)`).join(", ");
  throw new ValidationError([{
    field: "work_order_md",
    message:
      `The work order these fields make is ${atLeast}${bytes} bytes, more than the limit of ${MAX_WORK_ORDER_BYTES} (1 MiB); largest fields: ${largest}`,
  }]);
}

/** UTF-8 bytes of every string (keys included) in a JSON value. */
export function stringBytes(value: unknown): number {
  if (typeof value === "string") return utf8Length(value);
  if (Array.isArray(value)) {
    return value.reduce((n: number, item) => n + stringBytes(item), 0);
  }
  if (value !== null && typeof value === "object") {
    let n = 0;
    for (const [key, item] of Object.entries(value)) {
      n += utf8Length(key) + stringBytes(item);
    }
    return n;
  }
  return 0;
}

/** UTF-8 length of `text` without encoding it (a lone surrogate counts as U+FFFD). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
