/** Splitting a work order file into YAML frontmatter and markdown body. */
import matter from "gray-matter";
import { ValidationError } from "../errors.ts";
import { fileSizeProblem } from "./size.ts";

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
    fail("frontmatter", yamlMessage(error, lines));
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
  const tooLarge = fileSizeProblem(size);
  if (tooLarge !== null) fail("work_order_md", tooLarge);
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

function yamlMessage(error: unknown, lines: string[]): string {
  const e = error as {
    mark?: { line?: number; column?: number };
    reason?: string;
    message?: string;
  };
  // js-yaml notices an unclosed quote only at the end of the frontmatter; the
  // place to fix is where it opened.
  const quoted = /within a (double|single) quoted scalar/.exec(e.reason ?? "");
  const open = quoted ? unclosedQuote(lines) : null;
  if (quoted && open) {
    return `Malformed YAML at line ${open.line}, column ${open.column}: the ${
      quoted[1]
    }-quoted value that opens there is never closed (add the closing ${
      open.quote === '"' ? "double" : "single"
    } quote)`;
  }
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

/**
 * The last quote that opens a YAML flow scalar in the frontmatter and is not
 * closed before its end (1-based line and column), or null. A quote opens a
 * scalar where a value starts: after `key:`, `- `, `[`, `{` or `,`. A double
 * quote closes at an unescaped `"`; a single quote at a `'` not doubled.
 */
export function unclosedQuote(
  lines: string[],
): { line: number; column: number; quote: string } | null {
  let open: { line: number; column: number; quote: string } | null = null;
  // Line 0 is the opening '---'; the frontmatter ends at the next '---'.
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trimEnd() === "---") break;
    let at = 0;
    while (at <= text.length) {
      if (open !== null) {
        const close = closingQuote(text, at, open.quote);
        if (close < 0) break;
        open = null;
        at = close + 1;
        continue;
      }
      // At the line's start nothing precedes; after a closed scalar, its quote does.
      const start = valueQuote(text, at, at === 0 ? "" : text[at - 1]!);
      if (start < 0) break;
      open = { line: i + 1, column: start + 1, quote: text[start]! };
      at = start + 1;
    }
  }
  return open;
}

/** Index of the quote that starts a value at or after `from` (`before`: the last non-space character before it), or -1; a comment ends the search. */
function valueQuote(text: string, from: number, before: string): number {
  // The last character before `i` that is not a space ("" at the line's start).
  let last = before;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) return -1;
    if ((c === '"' || c === "'") && (last === "" || ":-[{,".includes(last))) {
      return i;
    }
    // A quote inside a plain scalar (`title: it's`) opens nothing.
    if (!/\s/.test(c)) last = c;
  }
  return -1;
}

/** Index of the quote closing a `quote`-quoted scalar at or after `from`, or -1. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote === '"' && c === "\\") {
      i++;
      continue;
    }
    if (c !== quote) continue;
    if (quote === "'" && text[i + 1] === "'") {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
