/**
 * edit_file's replacement: old_text must occur once. The answer shows the
 * changed lines numbered with a little context; on no match it names the
 * closest candidates so the model can copy the exact text instead of guessing.
 */
import { ToolError } from "./files.ts";
import { numbered, splitLines } from "./file_window.ts";
import { findAll } from "./find_text.ts";

/** Unchanged lines shown before and after an edit. */
const CONTEXT_LINES = 3;
/** Most lines of new text shown in the snippet (its head and tail beyond that). */
const MAX_SNIPPET_LINES = 30;
/** Candidates named when old_text is not found. */
const MAX_CANDIDATES = 3;
/** Below this similarity (0–1) a region is not worth naming. */
const MIN_SIMILARITY = 0.5;
/** Occurrences of an ambiguous old_text counted before "more than" is said. */
const MAX_COUNTED = 1000;
/**
 * Similar text is looked for only in files up to this size, each line's first
 * MAX_COMPARED_CHARS compared: the search must stay milliseconds on the event
 * loop whatever file the model names.
 */
const MAX_SIMILARITY_FILE_CHARS = 512 * 1024;
const MAX_COMPARED_CHARS = 200;
const MAX_SIMILARITY_LINES = 20_000;

/** The file's new content and the model-facing answer. */
export interface EditResult {
  content: string;
  message: string;
}

/** Replaces the single occurrence of `oldText` in `content` (the text of `path`). */
export function applyEdit(
  path: string,
  content: string,
  oldText: string,
  newText: string,
): EditResult {
  if (oldText === "") throw new ToolError("old_text must not be empty");
  const [at, again] = findAll(content, oldText, 2);
  if (at === undefined) throw new ToolError(notFound(path, content, oldText));
  if (again !== undefined) {
    const { count, lines } = occurrenceLines(content, oldText);
    throw new ToolError(
      `old_text matches ${
        count > MAX_COUNTED ? `more than ${MAX_COUNTED}` : count
      } times in '${path}' (at lines ${lines.join(", ")}${
        count > lines.length ? ", …" : ""
      }); include more surrounding lines so it matches exactly once`,
    );
  }
  const updated = content.slice(0, at) + newText +
    content.slice(at + oldText.length);
  const first = lineOf(content, at);
  const oldCount = splitLines(oldText).length || 1;
  const newCount = splitLines(newText).length;
  return {
    content: updated,
    message: `Edited '${path}': lines ${first}-${
      first + oldCount - 1
    } replaced by ${newCount} line${newCount === 1 ? "" : "s"}; the file has ${
      splitLines(updated).length
    } lines now:\n${snippet(updated, first, Math.max(newCount, 1))}`,
  };
}

/** Numbered lines around `count` lines starting at `first`, the middle elided when long. */
function snippet(content: string, first: number, count: number): string {
  const lines = splitLines(content);
  const from = Math.max(1, first - CONTEXT_LINES);
  const to = Math.min(lines.length, first + count - 1 + CONTEXT_LINES);
  if (to - from + 1 <= MAX_SNIPPET_LINES + 2 * CONTEXT_LINES) {
    return numbered(lines.slice(from - 1, to), from);
  }
  const half = Math.floor(MAX_SNIPPET_LINES / 2) + CONTEXT_LINES;
  return `${numbered(lines.slice(from - 1, from - 1 + half), from)}\n…\n${
    numbered(lines.slice(to - half, to), to - half + 1)
  }`;
}

/**
 * How often `text` occurs (counting stops past MAX_COUNTED) and the lines of
 * the first ten, in one pass: newlines are counted once between occurrences,
 * never from the start for each (a one-letter old_text in a large file would
 * make that quadratic).
 */
function occurrenceLines(
  content: string,
  text: string,
): { count: number; lines: number[] } {
  const lines: number[] = [];
  let count = 0;
  let line = 1;
  let scanned = 0;
  for (const i of findAll(content, text, MAX_COUNTED + 1)) {
    count++;
    if (lines.length < 10) {
      for (let nl = content.indexOf("\n", scanned); nl >= 0 && nl < i;) {
        line++;
        nl = content.indexOf("\n", nl + 1);
      }
      scanned = i;
      lines.push(line);
    }
  }
  return { count, lines };
}

function lineCount(content: string): number {
  let count = 1;
  for (
    let i = content.indexOf("\n");
    i >= 0;
    i = content.indexOf("\n", i + 1)
  ) {
    count++;
  }
  return count;
}

function lineOf(content: string, index: number): number {
  let line = 1;
  for (
    let i = content.indexOf("\n");
    i >= 0 && i < index;
    i = content.indexOf("\n", i + 1)
  ) {
    line++;
  }
  return line;
}

/** Why old_text did not match, with the closest regions of the file. */
function notFound(path: string, content: string, oldText: string): string {
  const head =
    `old_text was not found in '${path}' (it must match exactly once, whitespace included)`;
  const wanted = splitLines(oldText);
  const withoutNumbers = wanted.map((l) => l.replace(/^\s*\d+\t/, ""));
  if (
    wanted.some((l, i) => l !== withoutNumbers[i]) &&
    findAll(content, withoutNumbers.join("\n"), 1).length > 0
  ) {
    return `${head}: it carries read_file's line numbers; leave the "N<tab>" prefixes out`;
  }
  if (
    content.length > MAX_SIMILARITY_FILE_CHARS ||
    lineCount(content) > MAX_SIMILARITY_LINES
  ) {
    return `${head}; the file is too large to look for similar text, so read_file the part you want to change and copy it exactly`;
  }
  const lines = splitLines(content);
  const candidates = closest(lines, wanted);
  if (candidates.length === 0) {
    return `${head}, and nothing in it is similar; read_file the part you want to change and copy it exactly`;
  }
  const shown = candidates.map(({ line, score }) =>
    `lines ${line}-${line + wanted.length - 1} (${
      Math.round(score * 100)
    }% similar):\n${
      numbered(
        lines.slice(line - 1, line - 1 + Math.min(wanted.length, 12)),
        line,
      )
    }`
  );
  return `${head}. Closest text in the file (copy it exactly, without the line numbers):\n${
    shown.join("\n")
  }`;
}

/** Start lines (1-based) of the regions most like `wanted`, best first, not overlapping. */
function closest(
  lines: string[],
  wanted: string[],
): { line: number; score: number }[] {
  const compared = (l: string) => l.trim().slice(0, MAX_COMPARED_CHARS);
  const probe = wanted.slice(0, 8).map(compared);
  const keys = probe.map(grams);
  // Each line's bigrams once, however many probe lines it is compared with.
  const memo: (Grams | undefined)[] = [];
  const gramsOf = (k: number) =>
    memo[k] ??= grams(k < lines.length ? compared(lines[k] as string) : "");
  const scored: { line: number; score: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Cheap filter on the first line; full score only where it is promising.
    const firstScore = dice(keys[0] as Grams, gramsOf(i));
    if (firstScore < MIN_SIMILARITY / 2) continue;
    let sum = firstScore;
    for (let j = 1; j < probe.length; j++) {
      sum += dice(keys[j] as Grams, gramsOf(i + j));
    }
    const score = sum / probe.length;
    if (score >= MIN_SIMILARITY) scored.push({ line: i + 1, score });
  }
  scored.sort((a, b) => b.score - a.score || a.line - b.line);
  const picked: { line: number; score: number }[] = [];
  for (const candidate of scored) {
    if (picked.some((p) => Math.abs(p.line - candidate.line) < wanted.length)) {
      continue;
    }
    picked.push(candidate);
    if (picked.length === MAX_CANDIDATES) break;
  }
  return picked;
}

/** A text's character bigrams with their counts, and whether the text was empty. */
interface Grams {
  counts: Map<string, number>;
  total: number;
  empty: boolean;
}

function grams(text: string): Grams {
  const counts = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const gram = text.slice(i, i + 2);
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return { counts, total: Math.max(0, text.length - 1), empty: text === "" };
}

/** Sørensen–Dice similarity of character bigrams (1 = same, 0 = nothing shared). */
function dice(want: Grams, have: Grams): number {
  if (want.counts.size === 0) return have.empty ? 1 : 0;
  let shared = 0;
  for (const [gram, count] of have.counts) {
    shared += Math.min(count, want.counts.get(gram) ?? 0);
  }
  const sizes = want.total + have.total;
  return sizes === 0 ? 0 : (2 * shared) / sizes;
}
