/** The SE's read-through view of a workspace: reads see pending writes first; nothing touches disk. */
import {
  checkWritable,
  normalizeRepoDir,
  normalizeRepoPath,
  type PathPolicy,
  resolveInside,
} from "./paths.ts";
import {
  guard,
  guardAsync,
  listDiskFiles,
  readDiskText,
  type Text,
  ToolError,
} from "./files.ts";

import {
  searchLines,
  type SearchResult,
  SearchTimeoutError,
} from "./line_search.ts";

export { ToolError } from "./files.ts";

/** Most entries list_files returns. */
const MAX_LIST_ENTRIES = 2000;
/** Most matching lines search_files returns. */
const MAX_SEARCH_MATCHES = 200;
/** A matching line is shown up to this many characters. */
const MAX_LINE_CHARS = 300;
/** Overlay of pending SE writes and deletes on top of a workspace directory. */
export class WorkspaceView {
  readonly #dir: string;
  readonly #policy: PathPolicy;
  readonly #maxReadBytes: number;
  readonly #searchTimeoutMs: number;
  readonly #writes = new Map<string, string>();
  readonly #deletes = new Set<string>();
  #diskFiles: Promise<Set<string>> | null = null;

  constructor(
    opts: {
      dir: string;
      policy: PathPolicy;
      maxReadBytes?: number;
      /** How long search_files may match before it is stopped (default 5 s). */
      searchTimeoutMs?: number;
    },
  ) {
    this.#dir = opts.dir;
    this.#policy = opts.policy;
    this.#maxReadBytes = opts.maxReadBytes ?? 256 * 1024;
    this.#searchTimeoutMs = opts.searchTimeoutMs ?? 5000;
  }

  /** Files under `path` (default: the root) as repo-relative paths, one per line; honours .gitignore. */
  async listFiles(path?: string): Promise<string> {
    const dir = guard(() => normalizeRepoDir(path));
    const files = (await this.#files()).filter((f) =>
      dir === "" || f.startsWith(`${dir}/`)
    );
    if (files.length === 0) {
      if (dir !== "" && await this.#exists(dir)) return dir;
      if (dir !== "") throw new ToolError(`Directory '${dir}' does not exist`);
      return "(the repository has no files)";
    }
    const shown = files.slice(0, MAX_LIST_ENTRIES);
    const more = files.length - shown.length;
    return shown.join("\n") +
      (more > 0
        ? `\n… ${more} more files not shown; list a subdirectory to see them`
        : "");
  }

  /** The text of a file (pending write first); binary files, directories and missing files are ToolErrors. */
  async readFile(path: string): Promise<string> {
    const p = guard(() => normalizeRepoPath(path));
    const text = await this.#text(p);
    if (text.kind === "binary") {
      throw new ToolError(
        `File '${p}' is binary (${text.bytes} bytes) and cannot be read as text`,
      );
    }
    if (text.bytes <= this.#maxReadBytes) return text.content;
    const head = new TextDecoder().decode(
      new TextEncoder().encode(text.content).subarray(0, this.#maxReadBytes),
    );
    return `${
      head.replace(/\uFFFD$/, "")
    }\n… [AOS: file truncated: showing the first ${this.#maxReadBytes} of ${text.bytes} bytes]`;
  }

  /** Lines matching a JavaScript regular expression, as `path:line: text`, under `path`. */
  async searchFiles(pattern: string, path?: string): Promise<string> {
    try {
      new RegExp(pattern); // compile errors are reported here, not in the worker
    } catch (error) {
      throw new ToolError(
        `Invalid regular expression '${pattern}': ${(error as Error).message}`,
      );
    }
    const dir = guard(() => normalizeRepoDir(path));
    const files = (await this.#files()).filter((f) =>
      dir === "" || f === dir || f.startsWith(`${dir}/`)
    );
    if (files.length === 0 && dir !== "") {
      throw new ToolError(`Path '${dir}' does not exist`);
    }
    const texts: { path: string; content: string }[] = [];
    for (const file of files) {
      let text: Text;
      try {
        text = await this.#text(file);
      } catch {
        continue;
      }
      if (text.kind === "binary" || text.bytes > 4 * this.#maxReadBytes) {
        continue;
      }
      texts.push({ path: file, content: text.content });
    }
    let result: SearchResult;
    try {
      result = await searchLines({
        pattern,
        files: texts,
        maxMatches: MAX_SEARCH_MATCHES,
        maxLineChars: MAX_LINE_CHARS,
      }, this.#searchTimeoutMs);
    } catch (error) {
      if (!(error instanceof SearchTimeoutError)) throw error;
      throw new ToolError(
        `search_files stopped: /${pattern}/ took longer than ${this.#searchTimeoutMs} ms ` +
          "(it backtracks too much); use a simpler pattern or a narrower path",
      );
    }
    const { matches, total } = result;
    if (total === 0) {
      return `No matches for /${pattern}/${dir ? ` in '${dir}'` : ""}`;
    }
    const more = total - matches.length;
    return matches.join("\n") +
      (more > 0
        ? `\n… ${more} more matches not shown; narrow the pattern or the path`
        : "");
  }

  /** Records a write of the whole file (nothing touches disk). */
  async writeFile(path: string, content: string): Promise<string> {
    const p = await this.#writable(path, "write");
    if (await this.#isDirectory(p)) {
      throw new ToolError(`Path '${p}' is a directory`);
    }
    const parentFile = await this.#fileParent(p);
    if (parentFile) {
      throw new ToolError(
        `Path '${p}' cannot be created: '${parentFile}' is a file`,
      );
    }
    const existed = await this.#exists(p);
    this.#writes.set(p, content);
    this.#deletes.delete(p);
    const bytes = new TextEncoder().encode(content).length;
    return `${existed ? "Wrote" : "Created"} '${p}' (${bytes} bytes)`;
  }

  /** Replaces the one occurrence of `oldText` in a file with `newText`. */
  async editFile(
    path: string,
    oldText: string,
    newText: string,
  ): Promise<string> {
    const p = await this.#writable(path, "write");
    if (oldText === "") throw new ToolError("old_text must not be empty");
    const text = await this.#text(p);
    if (text.kind === "binary") {
      throw new ToolError(`File '${p}' is binary and cannot be edited`);
    }
    const count = text.content.split(oldText).length - 1;
    if (count !== 1) {
      throw new ToolError(
        count === 0
          ? `old_text was not found in '${p}' (0 matches; it must match exactly once, whitespace included)`
          : `old_text matches ${count} times in '${p}'; include more surrounding text so it matches exactly once`,
      );
    }
    this.#writes.set(p, text.content.replace(oldText, () => newText));
    return `Edited '${p}'`;
  }

  /** Records the deletion of a file. */
  async deleteFile(path: string): Promise<string> {
    const p = await this.#writable(path, "delete");
    if (await this.#isDirectory(p)) {
      throw new ToolError(
        `Path '${p}' is a directory; delete its files one by one`,
      );
    }
    const pending = this.#writes.delete(p);
    const onDisk = !this.#deletes.has(p) && await this.#onDisk(p);
    if (!pending && !onDisk) throw new ToolError(`File '${p}' does not exist`);
    if (onDisk) this.#deletes.add(p);
    return `Deleted '${p}'`;
  }

  /** The pending changes: the SE packet's writes and deletes. */
  packet(): { writes: { path: string; content: string }[]; deletes: string[] } {
    return {
      writes: [...this.#writes].map(([path, content]) => ({ path, content })),
      deletes: [...this.#deletes],
    };
  }

  /** The repository's files for the prompt: shallowest first, at most `maxEntries`. */
  async layout(maxEntries = 300): Promise<string> {
    const files = await this.#files();
    if (files.length === 0) return "(the repository has no files)";
    const depth = (f: string) => f.split("/").length;
    const shown = [...files].sort((a, b) =>
      depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0)
    )
      .slice(0, maxEntries).sort();
    const more = files.length - shown.length;
    return shown.join("\n") +
      (more > 0 ? `\n… ${more} more files not shown; use list_files` : "");
  }

  /** Every visible file: tracked and untracked-not-ignored on disk, plus pending writes, minus deletes. */
  async #files(): Promise<string[]> {
    const all = new Set(await this.#disk());
    for (const path of this.#writes.keys()) all.add(path);
    for (const path of this.#deletes) all.delete(path);
    return [...all].sort();
  }

  #disk(): Promise<Set<string>> {
    this.#diskFiles ??= listDiskFiles(this.#dir);
    return this.#diskFiles;
  }

  async #writable(path: string, action: "write" | "delete"): Promise<string> {
    const p = guard(() => checkWritable(path, this.#policy));
    await guardAsync(() =>
      resolveInside(
        this.#dir,
        p,
        action === "write" ? { forWrite: true } : { forDelete: true },
      )
    );
    return p;
  }

  async #text(p: string): Promise<Text> {
    if (this.#deletes.has(p)) throw new ToolError(`File '${p}' does not exist`);
    const pending = this.#writes.get(p);
    if (pending !== undefined) {
      return {
        kind: "text",
        content: pending,
        bytes: new TextEncoder().encode(pending).length,
      };
    }
    return await readDiskText(this.#dir, p);
  }

  /** Whether `p` is a file or directory in the view. */
  async #exists(p: string): Promise<boolean> {
    if (this.#deletes.has(p)) return false;
    if (this.#writes.has(p)) return true;
    if ((await this.#files()).some((f) => f.startsWith(`${p}/`))) return true;
    return await this.#onDisk(p);
  }

  async #onDisk(p: string): Promise<boolean> {
    try {
      await Deno.lstat(`${this.#dir}/${p}`);
      return true;
    } catch {
      return false;
    }
  }

  async #isDirectory(p: string): Promise<boolean> {
    if (this.#writes.has(p)) return false;
    if ((await this.#files()).some((f) => f.startsWith(`${p}/`))) return true;
    try {
      return (await Deno.lstat(`${this.#dir}/${p}`)).isDirectory;
    } catch {
      return false;
    }
  }

  /** The first parent of `p` that is a file in the view, if any. */
  async #fileParent(p: string): Promise<string | null> {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (this.#writes.has(parent)) return parent;
      if (this.#deletes.has(parent)) continue;
      try {
        if ((await Deno.lstat(`${this.#dir}/${parent}`)).isFile) return parent;
      } catch {
        return null;
      }
    }
    return null;
  }
}
