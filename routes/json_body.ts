/**
 * Reading a JSON request body without trusting it: strict UTF-8 (bytes that
 * are not UTF-8 are refused, never turned into U+FFFD as `Request.text()`
 * does) and a nesting bound checked by a linear scan before `JSON.parse`, so
 * a body nested 100,000 deep is a 400 instead of a stack overflow in
 * whatever walks the parsed value (validation, error details).
 */
import { HttpError } from "./errors.ts";

/** Deepest nesting of arrays and objects a JSON body may have (work orders need 4). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** The parsed body; a 400 naming the problem when it is not UTF-8, too deep, or not JSON. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    // A leading byte order mark is dropped (RFC 8259 §8.1 lets a parser ignore it).
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw malformed("it is not UTF-8 text (JSON bodies must be UTF-8)");
  }
  if (text.trim() === "") {
    throw new HttpError(
      400,
      "bad_request",
      "Request body is empty: send a JSON object (work order fields plus 'task', or 'work_order_md')",
    );
  }
  const depth = nestingOver(bytes, MAX_JSON_DEPTH);
  if (depth !== null) {
    throw malformed(
      `arrays and objects are nested more than ${MAX_JSON_DEPTH} deep (at byte ${depth})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The offset where nesting first exceeds `max`, else null. Scans bytes: in
 * UTF-8 no byte of a multi-byte character is ASCII, so brackets and quotes
 * are found exactly; brackets inside strings do not count.
 */
export function nestingOver(bytes: Uint8Array, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > max) return i;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
  return null;
}

function malformed(why: string): HttpError {
  return new HttpError(
    400,
    "bad_request",
    `Request body is not valid JSON: ${why}`,
  );
}
