/**
 * What a person needs from a failed command's output: the lines that look
 * like errors first (npm puts its cause at the head and pages of help text
 * after it), then its head and its tail. Used by the setup failure message
 * and the SETUP_RESULT event.
 */

/** The digest of one command's output. */
export interface OutputDigest {
  /** Lines that look like errors, in order, at most MAX_ERROR_LINES, each cut at MAX_LINE_CHARS. */
  error_lines: string[];
  /** The first lines of the output (the whole output when it is short). */
  head: string;
  /** The last lines, empty when `head` already holds everything. */
  tail: string;
  /** Lines between head and tail that neither shows. */
  omitted_lines: number;
}

const MAX_ERROR_LINES = 12;
const MAX_LINE_CHARS = 300;
const EDGE_LINES = 15;
const EDGE_CHARS = 1500;

/** Words and markers that tools print on the line that says what went wrong. */
const LOOKS_LIKE_ERROR =
  /\berror\b|\berrors?:|ERR!|\bfatal\b|Traceback|No such file|not found|\bcannot\b|\bcan't\b|could not|couldn't|unable to|\bfailed\b|\bfailure\b|exception|permission denied|\bpanic(ked)?\b|^E: |^\s*E\s{2,}|\w(Error|Exception)\b/i;
/** Summary lines that mention errors without being one ("0 errors", "failed=0"). */
const NOT_AN_ERROR =
  /\b0 (errors?|failed|failures)\b|\b(errors?|failed)[=:] ?0\b/i;

/** Digests `output` (already capped and redacted): error-looking lines, head and tail. */
export function digestOutput(output: string): OutputDigest {
  const lines = output.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
  const errorLines: string[] = [];
  for (const line of lines) {
    if (errorLines.length >= MAX_ERROR_LINES) break;
    const trimmed = line.trim();
    if (
      trimmed !== "" && LOOKS_LIKE_ERROR.test(trimmed) &&
      !NOT_AN_ERROR.test(trimmed) && !errorLines.includes(cut(trimmed))
    ) {
      errorLines.push(cut(trimmed));
    }
  }
  const all = lines.join("\n");
  if (lines.length <= EDGE_LINES * 2 && all.length <= EDGE_CHARS * 2) {
    return { error_lines: errorLines, head: all, tail: "", omitted_lines: 0 };
  }
  const head = edge(lines.slice(0, EDGE_LINES), "head");
  const tail = edge(lines.slice(-EDGE_LINES), "tail");
  return {
    error_lines: errorLines,
    head: head.text,
    tail: tail.text,
    omitted_lines: Math.max(0, lines.length - head.lines - tail.lines),
  };
}

/** The digest as the text of an error message: error lines first, then head and tail. */
export function digestText(digest: OutputDigest): string {
  const parts: string[] = [];
  if (digest.error_lines.length > 0) {
    parts.push(
      `Lines that look like errors:\n${
        digest.error_lines.map((l) => `  ${l}`).join("\n")
      }`,
    );
  }
  if (digest.tail === "") {
    if (digest.head !== "") parts.push(`Output:\n${digest.head}`);
  } else {
    parts.push(`First lines:\n${digest.head}`);
    parts.push(
      `… ${digest.omitted_lines} line(s) omitted …\nLast lines:\n${digest.tail}`,
    );
  }
  return parts.join("\n\n");
}

function cut(line: string): string {
  return line.length > MAX_LINE_CHARS
    ? `${line.slice(0, MAX_LINE_CHARS)}…`
    : line;
}

/** Up to EDGE_CHARS of `lines`, taken from the start (head) or the end (tail). */
function edge(
  lines: string[],
  side: "head" | "tail",
): { text: string; lines: number } {
  const kept: string[] = [];
  let size = 0;
  const ordered = side === "head" ? lines : [...lines].reverse();
  for (const line of ordered) {
    const piece = cut(line);
    if (size + piece.length > EDGE_CHARS && kept.length > 0) break;
    kept.push(piece);
    size += piece.length + 1;
  }
  if (side === "tail") kept.reverse();
  return { text: kept.join("\n"), lines: kept.length };
}
