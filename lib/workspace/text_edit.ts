/**
 * edit_file's replacement: old_text must occur once. The answer shows the
 * changed lines numbered with a little context; on no match it names the
 * closest candidates so the model can copy the exact text instead of guessing.
 */
import { ToolError } from "./files.ts";
import { numbered, splitLines } from "./file_window.ts";

/** Unchanged lines shown before and after an edit. */
const CONTEXT_LINES = 3;
/** Most lines of new text shown in the snippet (its head and tail beyond that). */
const MAX_SNIPPET_LINES = 30;
/** Candidates named when old_text is not found. */
const MAX_CANDIDATES = 3;
/** Below this similarity (0–1) a region is not worth naming. */
const MIN_SIMILARITY = 0.5;

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
  const at = content.indexOf(oldText);
  if (at < 0) throw new ToolError(notFound(path, content, oldText));
  const again = content.indexOf(oldText, at + 1);
  if (again >= 0) {
    const lines = occurrences(content, oldText).map((i) => lineOf(content, i));
    throw new ToolError(
      `old_text matches ${lines.length} times in '${path}' (at lines ${
        lines.slice(0, 10).join(", ")
      }${
        lines.length > 10 ? ", …" : ""
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

function occurrences(content: string, text: string): number[] {
  const out: number[] = [];
  for (
    let i = content.indexOf(text);
    i >= 0;
    i = content.indexOf(text, i + 1)
  ) {
    out.push(i);
  }
  return out;
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
    content.includes(withoutNumbers.join("\n"))
  ) {
    return `${head}: it carries read_file's line numbers; leave the "N<tab>" prefixes out`;
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
  const probe = wanted.map((l) => l.trim()).slice(0, 8);
  const keys = probe.map(bigrams);
  const trimmed = lines.map((l) => l.trim());
  const scored: { line: number; score: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Cheap filter on the first line; full score only where it is promising.
    const firstScore = dice(keys[0] as Map<string, number>, trimmed[i] ?? "");
    if (firstScore < MIN_SIMILARITY / 2) continue;
    let sum = firstScore;
    for (let j = 1; j < probe.length; j++) {
      sum += dice(keys[j] as Map<string, number>, trimmed[i + j] ?? "");
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

function bigrams(text: string): Map<string, number> {
  const grams = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const gram = text.slice(i, i + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

/** Sørensen–Dice similarity of character bigrams (1 = same, 0 = nothing shared). */
function dice(want: Map<string, number>, text: string): number {
  if (want.size === 0) return text === "" ? 1 : 0;
  const have = bigrams(text);
  let shared = 0;
  let sizeA = 0;
  let sizeB = 0;
  for (const count of want.values()) sizeA += count;
  for (const [gram, count] of have) {
    sizeB += count;
    shared += Math.min(count, want.get(gram) ?? 0);
  }
  return sizeA + sizeB === 0 ? 0 : (2 * shared) / (sizeA + sizeB);
}
