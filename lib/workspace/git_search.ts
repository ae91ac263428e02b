/**
 * search_files through `git grep` in a subprocess: the working copy is a real
 * checkout with the SE's pending writes on disk, so `--untracked` sees them and
 * .gitignore is honoured. The output is streamed and only the shown matches
 * are kept, so memory stays flat however many lines match, and a timeout (or
 * the turn's cancellation) kills the search.
 */
import { ToolError } from "./files.ts";

/** Matches shown in all. */
export const MAX_SHOWN_MATCHES = 100;
/** Matches shown per file; the rest of the file's are counted. */
export const MAX_MATCHES_PER_FILE = 10;
/** A matching line is shown up to this many characters. */
export const MAX_MATCH_CHARS = 200;
/** Files with matches beyond the shown ones that are still named (with counts). */
const MAX_EXTRA_FILES = 40;
/** A record (one output line) longer than this is cut while reading. */
const MAX_RECORD_BYTES = 16 * 1024;

/** What search_files was asked. */
export interface SearchQuery {
  pattern: string;
  /** Repository-relative file or directory; `""` = everywhere. */
  path: string;
  glob?: string | undefined;
  ignoreCase?: boolean | undefined;
}

/** How a search runs. */
export interface SearchLimits {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

interface FileMatches {
  path: string;
  count: number;
  lines: string[];
}

/** Runs the search in `dir` and returns the model-facing answer; ToolError for a bad pattern or a timeout. */
export async function gitSearch(
  dir: string,
  query: SearchQuery,
  limits: SearchLimits,
): Promise<string> {
  const args = [
    "-c",
    "core.fsmonitor=false",
    "-c",
    "grep.fallbackToNoIndex=false",
    "grep",
    "-n",
    "-z",
    "-I",
    "--untracked",
    "--no-color",
    "-P",
    ...(query.ignoreCase ? ["-i"] : []),
    "-e",
    query.pattern,
    "--",
    ...pathspecs(query),
  ];
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal
    ? AbortSignal.any([timeout, limits.signal])
    : timeout;
  const child = new Deno.Command("git", {
    args,
    cwd: dir,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const files: FileMatches[] = [];
  let total = 0;
  let shown = 0;
  for await (const record of records(child.stdout)) {
    const [path = "", line = "", ...rest] = record.split("\0");
    const text = rest.join("\0");
    let file = files.at(-1);
    if (file?.path !== path) {
      file = { path, count: 0, lines: [] };
      files.push(file);
    }
    file.count++;
    total++;
    if (shown < MAX_SHOWN_MATCHES && file.lines.length < MAX_MATCHES_PER_FILE) {
      file.lines.push(`  ${line}: ${cut(text.trim())}`);
      shown++;
    }
  }
  const status = await child.status;
  const errors = (await stderr).trim();
  if (limits.signal?.aborted) {
    throw limits.signal.reason ?? new Error("search_files was cancelled");
  }
  if (timeout.aborted) {
    throw new ToolError(
      `search_files stopped after ${limits.timeoutMs} ms: /${query.pattern}/ is too slow here; ` +
        "narrow it with path or glob, or use a simpler pattern",
    );
  }
  if (status.code > 1 || (status.code === 1 && errors !== "")) {
    throw new ToolError(
      `search_files could not search for /${query.pattern}/: ${
        errors.replace(/^fatal: /, "").split("\n")[0] ||
        `exit code ${status.code}`
      } (patterns are Perl-compatible regular expressions)`,
    );
  }
  return answer(query, files, total, shown);
}

/** Pathspecs for git: the path literally, a glob relative to it (without `/` it matches names at any depth). */
function pathspecs(query: SearchQuery): string[] {
  const glob = query.glob?.trim().replace(/^(\.\/)+/, "");
  const base = query.path;
  if (!glob) return base === "" ? ["."] : [`:(top,literal)${base}`];
  const escaped = base.replace(/[*?[\]\\]/g, "\\$&");
  const rel = glob.includes("/") ? glob : `**/${glob}`;
  return [`:(top,glob)${escaped === "" ? "" : `${escaped}/`}${rel}`];
}

function cut(text: string): string {
  return text.length > MAX_MATCH_CHARS
    ? `${text.slice(0, MAX_MATCH_CHARS)}… [${text.length} chars]`
    : text;
}

function answer(
  query: SearchQuery,
  files: FileMatches[],
  total: number,
  shown: number,
): string {
  const where = `${query.path ? ` in '${query.path}'` : ""}${
    query.glob ? ` (files matching '${query.glob}')` : ""
  }`;
  const what = `/${query.pattern}/${query.ignoreCase ? "i" : ""}`;
  if (total === 0) return `No matches for ${what}${where}`;
  const out = [
    `${total} match${total === 1 ? "" : "es"} in ${files.length} file${
      files.length === 1 ? "" : "s"
    } for ${what}${where}`,
  ];
  const unseen: string[] = [];
  for (const file of files) {
    if (file.lines.length === 0) {
      unseen.push(`${file.path} (${file.count})`);
      continue;
    }
    out.push(file.path, ...file.lines);
    const rest = file.count - file.lines.length;
    if (rest > 0) out.push(`  … ${rest} more in this file`);
  }
  if (unseen.length > 0) {
    const named = unseen.slice(0, MAX_EXTRA_FILES).join(", ");
    const more = unseen.length - MAX_EXTRA_FILES;
    out.push(
      `Other files with matches (count): ${named}${
        more > 0 ? `, and ${more} more files` : ""
      }`,
    );
  }
  if (shown < total) {
    out.push(
      `[${shown} of ${total} matches shown (at most ${MAX_MATCHES_PER_FILE} per file); ` +
        "narrow with path, glob or a more specific pattern to see the rest]",
    );
  }
  return out.join("\n");
}

/** Newline-separated records of a byte stream; an overlong record keeps only its head. */
async function* records(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial: Uint8Array[] = [];
  let partialBytes = 0;
  const flush = () => {
    const bytes = new Uint8Array(Math.min(partialBytes, MAX_RECORD_BYTES));
    let at = 0;
    for (const chunk of partial) {
      if (at >= bytes.length) break;
      const part = chunk.subarray(0, bytes.length - at);
      bytes.set(part, at);
      at += part.length;
    }
    partial = [];
    partialBytes = 0;
    return decoder.decode(bytes);
  };
  for await (const chunk of stream) {
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      if (partialBytes < MAX_RECORD_BYTES) {
        partial.push(chunk.subarray(start, i));
        partialBytes += i - start;
      }
      yield flush();
      start = i + 1;
    }
    if (start < chunk.length && partialBytes < MAX_RECORD_BYTES) {
      partial.push(chunk.subarray(start));
      partialBytes += chunk.length - start;
    }
  }
  if (partialBytes > 0) yield flush();
}
