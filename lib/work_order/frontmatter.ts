/** Splitting a work order file into YAML frontmatter and markdown body. */
import matter from "gray-matter";
import { ValidationError } from "../errors.ts";

/** Largest accepted work order file. */
export const MAX_WORK_ORDER_BYTES = 1024 * 1024;

const BOM = "\uFEFF";

/**
 * Decodes the file (UTF-8, at most 1 MiB) and parses its frontmatter with
 * gray-matter, YAML only: gray-matter would evaluate `---js` frontmatter.
 */
export function readFrontmatter(
  source: string | Uint8Array,
): { data: Record<string, unknown>; body: string } {
  const text = decodeWorkOrder(source).replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  const opening = lines[0]?.trimEnd();
  if (opening !== "---") {
    const message = opening?.startsWith("---")
      ? `Frontmatter must open with a plain '---' line, got ${
        JSON.stringify(opening)
      }`
      : "Work order must start with YAML frontmatter between '---' lines (at least the 'repo' field)";
    fail("frontmatter", message);
  }
  if (!lines.slice(1).some((line) => line.trimEnd() === "---")) {
    fail("frontmatter", "Frontmatter is not closed with a '---' line");
  }
  let parsed: { data: unknown; content: string };
  try {
    parsed = matter(text, {
      language: "yaml",
      engines: { js: noEngine, javascript: noEngine },
    });
  } catch (error) {
    fail("frontmatter", yamlMessage(error));
  }
  const data = parsed.data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    fail("frontmatter", "Must be a YAML mapping of work order fields");
  }
  return { data: data as Record<string, unknown>, body: parsed.content };
}

/**
 * The text of a work order file: at most 1 MiB, valid UTF-8 (or, given a
 * string, well-formed Unicode), one optional byte order mark removed. Every
 * entry point (`aos validate`, JSON, multipart) goes through here, so they
 * accept and refuse the same files.
 */
export function decodeWorkOrder(source: string | Uint8Array): string {
  const size = typeof source === "string"
    ? new TextEncoder().encode(source).length
    : source.length;
  if (size > MAX_WORK_ORDER_BYTES) {
    fail(
      "work_order_md",
      `Work order is ${size} bytes, more than the limit of ${MAX_WORK_ORDER_BYTES} (1 MiB)`,
    );
  }
  let text: string;
  if (typeof source === "string") {
    if (!source.isWellFormed()) {
      fail("work_order_md", "Work order is not valid Unicode text");
    }
    text = source;
  } else {
    try {
      // ignoreBOM keeps the mark, so bytes and strings lose it in one place.
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
        .decode(source);
    } catch {
      fail("work_order_md", "Work order is not valid UTF-8 text");
    }
  }
  text = text.startsWith(BOM) ? text.slice(1) : text;
  if (text.startsWith(BOM)) {
    fail(
      "work_order_md",
      "Work order starts with more than one byte order mark (U+FEFF)",
    );
  }
  return text;
}

function yamlMessage(error: unknown): string {
  const e = error as {
    mark?: { line?: number; column?: number };
    reason?: string;
    message?: string;
  };
  // gray-matter hands js-yaml the text after the opening '---' starting with its newline,
  // so js-yaml's 0-based line is the file's 1-based line.
  if (typeof e.mark?.line === "number") {
    const reason = e.reason ?? "invalid YAML";
    return `Malformed YAML at line ${e.mark.line + 1}, column ${
      (e.mark.column ?? 0) + 1
    }: ${reason}`;
  }
  return `Malformed YAML: ${e.message ?? String(error)}`;
}

function noEngine(): never {
  throw new Error("only YAML frontmatter is supported");
}

function fail(field: string, message: string): never {
  throw new ValidationError([{ field, message }]);
}
