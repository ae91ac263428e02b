/**
 * read_file's answer: a window of numbered lines with the file's total line
 * count and how to read on, so every line of any file is reachable while one
 * answer stays small enough to keep in the model's context.
 */
import { ToolError } from "./files.ts";

/** Lines shown when the caller names no end line. */
export const DEFAULT_WINDOW_LINES = 300;
/** Most characters of line text one answer carries; the window ends early past it. */
export const MAX_WINDOW_CHARS = 20_000;
/** A longer line is shown cut, with its length. */
export const MAX_LINE_CHARS = 1_000;

/** Which lines to show; 1-based and inclusive. */
export interface LineWindow {
  startLine?: number | undefined;
  endLine?: number | undefined;
}

/** A file's lines: a trailing newline ends the last line, it does not start another. */
export function splitLines(content: string): string[] {
  if (content === "") return [];
  const lines = content.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** `1\ttext` lines from `first` (1-based) for the given lines, long ones cut. */
export function numbered(lines: string[], first: number): string {
  return lines.map((line, i) => `${first + i}\t${cutLine(line)}`).join("\n");
}

function cutLine(line: string): string {
  const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (clean.length <= MAX_LINE_CHARS) return clean;
  return `${
    clean.slice(0, MAX_LINE_CHARS)
  }… [line cut: ${clean.length} characters]`;
}

/** The model-facing window of `content` (the text of `path`). */
export function readWindow(
  path: string,
  content: string,
  window: LineWindow = {},
): string {
  const lines = splitLines(content);
  const total = lines.length;
  if (total === 0) return `${path}: empty file (0 lines)`;
  const start = window.startLine ?? 1;
  if (start > total) {
    throw new ToolError(
      `start_line ${start} is past the end of '${path}', which has ${total} lines`,
    );
  }
  if (window.endLine !== undefined && window.endLine < start) {
    throw new ToolError(
      `end_line ${window.endLine} is before start_line ${start}`,
    );
  }
  const wanted = Math.min(
    total,
    window.endLine ?? start + DEFAULT_WINDOW_LINES - 1,
  );
  let end = start - 1;
  let chars = 0;
  while (end < wanted) {
    const next = Math.min(
      (lines[end] ?? "").length,
      MAX_LINE_CHARS + 40,
    );
    if (end >= start && chars + next > MAX_WINDOW_CHARS) break;
    chars += next + 1;
    end++;
  }
  const body = numbered(lines.slice(start - 1, end), start);
  const header = start === 1 && end === total
    ? `${path}: all ${total} lines`
    : `${path}: lines ${start}-${end} of ${total}`;
  const rest: string[] = [];
  if (end < total) {
    const cut = end < wanted ? " (window limit reached)" : "";
    rest.push(
      `[lines ${end + 1}-${total} not shown${cut}; read on with start_line=${
        end + 1
      }]`,
    );
  }
  return [header, body, ...rest].join("\n");
}
