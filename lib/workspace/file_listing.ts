/**
 * list_files and find_files answers over the working copy's visible files
 * (tracked plus untracked-not-ignored). Answers come a page at a time with a
 * footer that is never cut and names the next page, so every entry of any
 * folder is reachable however large it is.
 */
import { compileGlob } from "../glob/mod.ts";
import { ToolError } from "./files.ts";

/** Entries one list_files or find_files answer shows at most. */
export const PAGE_ENTRIES = 200;
/** Characters of entries one answer carries at most; the page ends early past it. */
export const PAGE_CHARS = 10_000;
/** Deepest listing list_files gives in one call. */
export const MAX_DEPTH = 5;

/** Paging of list_files: how deep, and which entry to start from (0-based). */
export interface ListOptions {
  depth?: number | undefined;
  offset?: number | undefined;
}

interface Entry {
  /** Repository-relative path; directories end with `/`. */
  path: string;
  /** Files under a directory, at any depth. */
  files?: number;
}

/** The entries under `dir` (`""` = root) down to `depth` levels, directories before files, depth-first. */
function entriesUnder(files: string[], dir: string, depth: number): Entry[] {
  const prefix = dir === "" ? "" : `${dir}/`;
  // Per directory (relative path, "" = dir itself): subdirectories with counts, and files.
  const subdirs = new Map<string, Map<string, number>>();
  const leaves = new Map<string, string[]>();
  for (const file of files) {
    if (!file.startsWith(prefix)) continue;
    const parts = file.slice(prefix.length).split("/");
    for (let level = 0; level < parts.length; level++) {
      const parent = parts.slice(0, level).join("/");
      if (level === parts.length - 1) {
        if (level < depth) {
          const list = leaves.get(parent);
          if (list) list.push(file);
          else leaves.set(parent, [file]);
        }
        break;
      }
      if (level >= depth) break;
      const child = parts.slice(0, level + 1).join("/");
      const counts = subdirs.get(parent) ?? new Map<string, number>();
      counts.set(child, (counts.get(child) ?? 0) + 1);
      subdirs.set(parent, counts);
    }
  }
  const out: Entry[] = [];
  const walk = (rel: string) => {
    const counts = [...(subdirs.get(rel) ?? new Map<string, number>())].sort((
      a,
      b,
    ) => compare(a[0], b[0]));
    for (const [child, count] of counts) {
      out.push({ path: `${prefix}${child}/`, files: count });
      walk(child);
    }
    for (const file of (leaves.get(rel) ?? []).sort(compare)) {
      out.push({ path: file });
    }
  };
  walk("");
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One page of entries and a footer naming the next call; `next` builds that call's arguments. */
function page(
  lines: string[],
  offset: number,
  next: (offset: number) => string,
): string {
  if (offset > 0 && offset >= lines.length) {
    throw new ToolError(
      `offset ${offset} is past the last entry (there are ${lines.length})`,
    );
  }
  const shown: string[] = [];
  let chars = 0;
  for (let i = offset; i < lines.length && shown.length < PAGE_ENTRIES; i++) {
    const line = lines[i] as string;
    if (shown.length > 0 && chars + line.length > PAGE_CHARS) break;
    shown.push(line);
    chars += line.length + 1;
  }
  const end = offset + shown.length;
  if (offset === 0 && end === lines.length) return shown.join("\n");
  const more = end < lines.length
    ? `; ${lines.length - end} more: ${next(end)}`
    : "";
  return `${shown.join("\n")}\n[entries ${
    offset + 1
  }-${end} of ${lines.length}${more}]`;
}

/** list_files was asked for a file (the SE tool then shows the file instead). */
export class NotADirectoryError extends ToolError {
  override name = "NotADirectoryError";
}

/** list_files: `dir` (`""` = root) one level deep by default, directories marked with their file counts. */
export function listing(
  files: string[],
  dir: string,
  opts: ListOptions = {},
): string {
  const depth = Math.min(opts.depth ?? 1, MAX_DEPTH);
  const offset = opts.offset ?? 0;
  if (dir !== "" && files.includes(dir)) {
    throw new NotADirectoryError(
      `'${dir}' is a file, not a directory; use read_file to read it`,
    );
  }
  const entries = entriesUnder(files, dir, depth);
  const shownDir = dir === "" ? "the repository root" : `'${dir}/'`;
  if (entries.length === 0) {
    if (dir === "") return "The repository has no files.";
    throw new ToolError(
      `Directory '${dir}' does not exist (or holds no files); use find_files to look for a name`,
    );
  }
  const total = files.filter((f) => dir === "" || f.startsWith(`${dir}/`))
    .length;
  const dirs = entries.filter((e) => e.files !== undefined).length;
  const header = `${shownDir}, depth ${depth}: ${dirs} directories, ` +
    `${entries.length - dirs} files (${total} files in all below it)`;
  const lines = entries.map((e) =>
    e.files === undefined
      ? e.path
      : `${e.path} (${e.files} file${e.files === 1 ? "" : "s"})`
  );
  const args = (o: number) =>
    `list_files ${
      JSON.stringify({
        ...(dir ? { path: dir } : {}),
        ...(depth !== 1 ? { depth } : {}),
        offset: o,
      })
    }`;
  return `${header}\n${page(lines, offset, args)}`;
}

/** find_files: visible paths matching a glob; a glob without `/` matches file names at any depth. */
export function findFiles(
  files: string[],
  glob: string,
  offset = 0,
): string {
  const pattern = glob.trim().replace(/^(\.\/)+/, "");
  if (pattern === "") throw new ToolError("glob must not be empty");
  let isMatch: (path: string) => boolean;
  try {
    isMatch = compileGlob(pattern, { basename: !pattern.includes("/") });
  } catch (error) {
    throw new ToolError(
      `Invalid glob '${glob}': ${(error as Error).message}`,
    );
  }
  const matching = files.filter((f) => isMatch(f));
  if (matching.length === 0) {
    return `No files match '${glob}'${
      pattern.includes("/") && !pattern.startsWith("**")
        ? " (globs with a '/' are matched from the repository root; try '**/' in front)"
        : ""
    }`;
  }
  const args = (o: number) =>
    `find_files ${JSON.stringify({ glob, offset: o })}`;
  return `${matching.length} files match '${glob}'\n${
    page(matching, offset, args)
  }`;
}
