/**
 * Reading submit bodies: JSON and forms (multipart or urlencoded). Each
 * malformed body is a 400 naming what is wrong; a work order sent as a form
 * field or file arrives as raw bytes, so it is checked by the same decoder as
 * `aos validate` (invalid UTF-8 is refused, never turned into U+FFFD).
 */
import type { Context } from "hono";
import {
  MultipartParseError,
  parseMultipart,
} from "@remix-run/multipart-parser";
import { ValidationError } from "../lib/errors.ts";
import { decodeWorkOrder } from "../lib/work_order/mod.ts";
import type { SubmitInput } from "../actors/run/service.ts";
import { HttpError } from "./errors.ts";
import { parseJsonBody } from "./json_body.ts";
import { acceptedMediaType } from "./middleware/content_type.ts";

/** The form field (or file) that carries a work order. */
export const WORK_ORDER_FIELD = "work_order_md";

/** Form body types POST /runs/submit takes. */
export const FORM_TYPES = [
  "multipart/form-data",
  "application/x-www-form-urlencoded",
] as const;

function malformedBody(what: string, why: string): HttpError {
  return new HttpError(400, "bad_request", `${what}: ${why}`);
}

/** The JSON body, which must be an object; 400 when empty, not UTF-8, too deep or not JSON. */
export async function readJsonObject(
  c: Context,
): Promise<Record<string, unknown>> {
  const value = parseJsonBody(new Uint8Array(await c.req.arrayBuffer()));
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(
      422,
      "validation_failed",
      `Request body must be a JSON object, got ${
        Array.isArray(value)
          ? "an array"
          : value === null
          ? "null"
          : typeof value
      }`,
      [{ field: "", message: "Must be a JSON object of work order fields" }],
    );
  }
  return value as Record<string, unknown>;
}

/**
 * What a JSON submission asks for: `{ work_order_md }` alone, or fields plus
 * `task`. Mixing them is refused: the extra fields would be ignored silently.
 */
export function jsonSubmitInput(body: Record<string, unknown>): SubmitInput {
  if (!(WORK_ORDER_FIELD in body)) return { fields: body };
  const md = body[WORK_ORDER_FIELD];
  const issues = Object.keys(body).filter((key) => key !== WORK_ORDER_FIELD)
    .map((key) => ({
      field: key,
      message:
        `Cannot be combined with '${WORK_ORDER_FIELD}': send the whole work order or its fields, not both`,
    }));
  if (typeof md !== "string") {
    issues.unshift({
      field: WORK_ORDER_FIELD,
      message: `Must be a string (the work order file's text), got ${
        md === null ? "null" : Array.isArray(md) ? "a list" : typeof md
      }`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { workOrderMd: decodeWorkOrder(md as string) };
}

const PARSE_LIMITS = { maxParts: 20, maxHeaderSize: 8 * 1024 };

/** The work order of a form submission (file or text field), checked as raw bytes. */
export async function readWorkOrderForm(c: Context): Promise<SubmitInput> {
  const fields = await readFormFields(c);
  const values = fields.get(WORK_ORDER_FIELD) ?? [];
  const others = [...fields.keys()].filter((k) => k !== WORK_ORDER_FIELD);
  const issues = others.map((field) => ({
    field,
    message: `Unknown form field '${
      field.slice(0, 80)
    }': send only '${WORK_ORDER_FIELD}' (file or text)`,
  }));
  if (values.length === 0) {
    issues.unshift({
      field: WORK_ORDER_FIELD,
      message: "Field is required (file or text)",
    });
  } else if (values.length > 1) {
    issues.unshift({
      field: WORK_ORDER_FIELD,
      message: `Field is given ${values.length} times; send it once`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { workOrderMd: decodeWorkOrder(values[0]!) };
}

/**
 * A form body's fields as raw bytes (multipart or urlencoded), each name
 * with its values in order; 415 for another type, 400 when malformed. Text
 * fields stay bytes: a decoder would drop a byte order mark or replace bad
 * UTF-8, so what is checked would not be what was sent.
 */
export async function readFormFields(
  c: Context,
): Promise<Map<string, Uint8Array[]>> {
  const media = acceptedMediaType(c.req.header("content-type"), FORM_TYPES);
  const body = new Uint8Array(await c.req.arrayBuffer());
  return media.type === "multipart/form-data"
    ? multipartFields(body, media.params.boundary!)
    : urlencodedFields(body);
}

function multipartFields(
  body: Uint8Array,
  boundary: string,
): Map<string, Uint8Array[]> {
  const fields = new Map<string, Uint8Array[]>();
  try {
    for (
      const part of parseMultipart(body, {
        boundary,
        ...PARSE_LIMITS,
        maxFileSize: body.length,
        maxTotalSize: body.length,
      })
    ) {
      const name = part.name;
      if (name === undefined) {
        throw malformedBody(
          "Malformed multipart body",
          "a part has no Content-Disposition name",
        );
      }
      fields.set(name, [...(fields.get(name) ?? []), part.bytes]);
    }
  } catch (error) {
    if (error instanceof MultipartParseError) {
      throw malformedBody("Malformed multipart body", error.message);
    }
    // The parser decodes part headers as strict UTF-8 and lets the decoder's
    // TypeError through.
    if (error instanceof TypeError) {
      throw malformedBody(
        "Malformed multipart body",
        "a part's headers are not valid UTF-8",
      );
    }
    throw error;
  }
  if (fields.size === 0) {
    throw malformedBody(
      "Malformed multipart body",
      `no part delimited by the boundary '${boundary}' was found`,
    );
  }
  return fields;
}

/** application/x-www-form-urlencoded, decoded to bytes (URLSearchParams would replace bad UTF-8). */
function urlencodedFields(body: Uint8Array): Map<string, Uint8Array[]> {
  const fields = new Map<string, Uint8Array[]>();
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(AMPERSAND, start);
    if (end === -1) end = body.length;
    const pair = body.subarray(start, end);
    start = end + 1;
    if (pair.length === 0) continue;
    const eq = pair.indexOf(EQUALS);
    const name = new TextDecoder().decode(
      percentDecode(eq === -1 ? pair : pair.subarray(0, eq)),
    );
    const value = eq === -1
      ? new Uint8Array()
      : percentDecode(pair.subarray(eq + 1));
    fields.set(name, [...(fields.get(name) ?? []), value]);
  }
  return fields;
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;

function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const hex = byte === PERCENT ? hexByte(bytes[i + 1], bytes[i + 2]) : -1;
    if (hex >= 0) {
      out[n++] = hex;
      i += 2;
    } else out[n++] = byte === PLUS ? 0x20 : byte;
  }
  return out.subarray(0, n);
}

function hexByte(a: number | undefined, b: number | undefined): number {
  const digit = (x: number | undefined) => {
    if (x === undefined) return -1;
    if (x >= 0x30 && x <= 0x39) return x - 0x30;
    const lower = x | 0x20;
    return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
  };
  const hi = digit(a);
  const lo = digit(b);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}
