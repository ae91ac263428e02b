/**
 * The SE's read-through view of a workspace: reads see the SE's pending
 * writes and deletes first; nothing touches disk until the Tool Runner
 * applies the resulting packet.
 */
import {
  checkWritable,
  normalizeRepoPath,
  type PathPolicy,
  resolveInside,
} from "./paths.ts";

/** A model-correctable problem; its message goes back to the model as the tool result. */
export class ToolError extends Error {
  override name = "ToolError";
}

const MAX_LIST = 2000;
const MAX_MATCHES = 200;

/** The workspace as the SE sees it during one turn. */
export class WorkspaceView {
  readonly #dir: string;
  readonly #policy: PathPolicy;
  readonly #maxReadBytes: number;
  readonly #writes = new Map<string, string>();
  readonly #deletes = new Set<string>();

  constructor(
    opts: { dir: string; policy: PathPolicy; maxReadBytes?: number },
  ) {
    this.#dir = opts.dir;
    this.#policy = opts.policy;
    this.#maxReadBytes = opts.maxReadBytes ?? 256 * 1024;
  }

  /** Files honouring .gitignore plus pending writes, minus pending deletes; under `path` if given. */
  async listFiles(path?: string): Promise<string> {
    const prefix = path && path !== "." && path !== "/"
      ? this.#path(path).replace(/\/$/, "") + "/"
      : "";
    const files = (await this.#allFiles()).filter((f) => f.startsWith(prefix));
    if (files.length === 0) {
      return prefix ? `No files under '${prefix}'` : "The repository is empty";
    }
    const shown = files.slice(0, MAX_LIST);
    const note = files.length > MAX_LIST
      ? `\n… ${files.length - MAX_LIST} more files not shown`
      : "";
    return shown.join("\n") + note;
  }

  /** The content of a text file. */
  async readFile(path: string): Promise<string> {
    const rel = this.#path(path);
    const pending = this.#writes.get(rel);
    if (pending !== undefined) return pending;
    if (this.#deletes.has(rel)) {
      throw new ToolError(`File '${rel}' does not exist (deleted)`);
    }
    return await this.#readDisk(rel);
  }

  /** Lines matching a regular expression, as `path:line: text`. */
  async searchFiles(pattern: string, path?: string): Promise<string> {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      throw new ToolError(
        `Invalid regular expression '${pattern}': ${(error as Error).message}`,
      );
    }
    const prefix = path && path !== "."
      ? this.#path(path).replace(/\/$/, "") + "/"
      : "";
    const matches: string[] = [];
    for (const file of await this.#allFiles()) {
      if (!file.startsWith(prefix) && file !== prefix.slice(0, -1)) continue;
      let text: string;
      try {
        text = await this.readFile(file);
      } catch {
        continue;
      }
      const lines = text.split("\n");
      for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
        if (regex.test(lines[i] as string)) {
          matches.push(
            `${file}:${i + 1}: ${(lines[i] as string).slice(0, 300)}`,
          );
        }
      }
      if (matches.length >= MAX_MATCHES) break;
    }
    if (matches.length === 0) return `No matches for '${pattern}'`;
    return matches.join("\n") +
      (matches.length >= MAX_MATCHES ? "\n… more matches not shown" : "");
  }

  /** Records a write (checked against the path policy). */
  async writeFile(path: string, content: string): Promise<string> {
    const rel = await this.#writable(path);
    this.#writes.set(rel, content);
    this.#deletes.delete(rel);
    return `Wrote ${
      new TextEncoder().encode(content).length
    } bytes to '${rel}'`;
  }

  /** Replaces `oldText`, which must occur exactly once, with `newText`. */
  async editFile(
    path: string,
    oldText: string,
    newText: string,
  ): Promise<string> {
    const rel = await this.#writable(path);
    const current = await this.readFile(rel);
    if (oldText === "") throw new ToolError("old_text must not be empty");
    const count = current.split(oldText).length - 1;
    if (count !== 1) {
      throw new ToolError(
        `old_text must match exactly once in '${rel}', but it matches ${count} times`,
      );
    }
    this.#writes.set(rel, current.replace(oldText, () => newText));
    return `Edited '${rel}'`;
  }

  /** Records a delete of an existing file. */
  async deleteFile(path: string): Promise<string> {
    const rel = await this.#writable(path);
    if (this.#writes.has(rel)) {
      this.#writes.delete(rel);
      if (!(await this.#existsOnDisk(rel))) return `Deleted '${rel}'`;
    } else if (this.#deletes.has(rel) || !(await this.#existsOnDisk(rel))) {
      throw new ToolError(`File '${rel}' does not exist`);
    }
    this.#deletes.add(rel);
    return `Deleted '${rel}'`;
  }

  /** The writes and deletes recorded so far. */
  packet(): { writes: { path: string; content: string }[]; deletes: string[] } {
    return {
      writes: [...this.#writes].map(([path, content]) => ({ path, content })),
      deletes: [...this.#deletes],
    };
  }

  /** The repository layout for the prompt. */
  async layout(maxEntries = 300): Promise<string> {
    const files = await this.#allFiles();
    const shown = files.slice(0, maxEntries).join("\n");
    return files.length > maxEntries
      ? `${shown}\n… ${files.length - maxEntries} more files (use list_files)`
      : shown;
  }

  #path(path: string): string {
    try {
      return normalizeRepoPath(path);
    } catch (error) {
      throw new ToolError((error as Error).message);
    }
  }

  async #writable(path: string): Promise<string> {
    try {
      const rel = checkWritable(path, this.#policy);
      await resolveInside(this.#dir, rel, { forWrite: true });
      return rel;
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw new ToolError((error as Error).message);
    }
  }

  async #existsOnDisk(rel: string): Promise<boolean> {
    try {
      const info = await Deno.lstat(`${this.#dir}/${rel}`);
      return info.isFile || info.isSymlink;
    } catch {
      return false;
    }
  }

  async #readDisk(rel: string): Promise<string> {
    let full: string;
    try {
      full = await resolveInside(this.#dir, rel);
    } catch (error) {
      throw new ToolError((error as Error).message);
    }
    let bytes: Uint8Array;
    try {
      const info = await Deno.stat(full);
      if (info.isDirectory) {
        throw new ToolError(`'${rel}' is a directory; use list_files`);
      }
      if (info.size > this.#maxReadBytes) {
        throw new ToolError(
          `File '${rel}' is ${info.size} bytes, over the ${this.#maxReadBytes}-byte read limit`,
        );
      }
      bytes = await Deno.readFile(full);
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw new ToolError(`File '${rel}' does not exist`);
    }
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      if (text.includes("\0")) throw new Error("binary");
      return text;
    } catch {
      throw new ToolError(`File '${rel}' is binary and cannot be read as text`);
    }
  }

  async #allFiles(): Promise<string[]> {
    const out = await new Deno.Command("git", {
      args: [
        "-c",
        "core.hooksPath=/dev/null",
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
      ],
      cwd: this.#dir,
      env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
      stdout: "piped",
      stderr: "null",
    }).output();
    const files = new Set(
      new TextDecoder().decode(out.stdout).split("\0").filter(Boolean),
    );
    for (const path of this.#writes.keys()) files.add(path);
    for (const path of this.#deletes) files.delete(path);
    return [...files].sort();
  }
}
