/** Reading a delivery's JSON with zod: a wrong shape is a PayloadError naming the field. */
import type { z } from "zod";
import { MAX_ISSUE_TEXT, MAX_ISSUE_TITLE, PayloadError } from "./types.ts";

/** `json` read as `schema`, or a PayloadError naming the first wrong field of the `event` payload. */
export function readPayload<T extends z.ZodType>(
  schema: T,
  json: unknown,
  event: string,
): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "(body)";
  throw new PayloadError(
    `The '${event.slice(0, 60)}' payload's field '${
      field.slice(0, 120)
    }' is wrong: ${issue.message}`,
  );
}

/** A title as AOS uses it: control characters made spaces, trimmed, cut. */
export function cleanTitle(title: string): string {
  const flat = title.replace(/\p{Cc}+/gu, " ").replace(/\s+/g, " ").trim();
  return flat.length > MAX_ISSUE_TITLE
    ? `${flat.slice(0, MAX_ISSUE_TITLE - 1)}…`
    : flat || "(untitled)";
}

/** Issue or comment text: NUL and other C0 controls but tab and newline dropped, cut. */
export function cleanText(text: string | null | undefined): string {
  const kept = (text ?? "").replace(/\r\n?/g, "\n")
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");
  return kept.length > MAX_ISSUE_TEXT
    ? `${
      kept.slice(0, MAX_ISSUE_TEXT)
    }\n… (cut at ${MAX_ISSUE_TEXT} characters)`
    : kept;
}

/** A header's value, cut to `max` characters, or null. */
export function header(
  headers: Headers,
  name: string,
  max = 200,
): string | null {
  const value = headers.get(name);
  return value === null ? null : value.slice(0, max);
}

/** A delivery id the forge gave: printable ASCII, 1–200 characters; else a PayloadError. */
export function deliveryIdFrom(headers: Headers, names: string[]): string {
  for (const name of names) {
    const value = headers.get(name);
    if (value === null) continue;
    if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
      throw new PayloadError(
        `Header '${name}' must be 1–200 printable ASCII characters`,
      );
    }
    return value;
  }
  throw new PayloadError(`No delivery id: header '${names[0]}' is missing`);
}
