/** Splitting a work order file into YAML frontmatter and markdown body. */
import matter from "gray-matter";
import { ValidationError } from "../errors.ts";

/** Largest accepted work order file. */
export const MAX_WORK_ORDER_BYTES = 1024 * 1024;

/**
 * Decodes the file (UTF-8, at most 1 MiB) and parses its frontmatter with
 * gray-matter, YAML only: gray-matter would evaluate `---js` frontmatter.
 */
export function readFrontmatter(
  source: string | Uint8Array,
): { data: Record<string, unknown>; body: string } {
  const text = decodeSource(source).replace(/\r\n?/g, "\n");
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

function decodeSource(source: string | Uint8Array): string {
  const size = typeof source === "string"
    ? new TextEncoder().encode(source).length
    : source.length;
  if (size > MAX_WORK_ORDER_BYTES) {
    fail(
      "work_order_md",
      `Work order is ${size} bytes, more than the limit of ${MAX_WORK_ORDER_BYTES} (1 MiB)`,
    );
  }
  if (typeof source === "string") {
    if (!source.isWellFormed()) {
      fail("work_order_md", "Work order is not valid Unicode text");
    }
    return source.replace(/^\uFEFF/, "");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(source);
  } catch {
    fail("work_order_md", "Work order is not valid UTF-8 text");
  }
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
