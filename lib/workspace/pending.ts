/**
 * The pending packet of a working copy: every file that differs from the
 * start-of-turn commit, whoever changed it (an SE tool or a command), that
 * passes the path policy. Changes the policy refuses are kept apart with the
 * reason so the model is told, and never reach the packet. Well-known build
 * and cache output (`__pycache__/`, `node_modules/`, …) made by commands is
 * left out like an ignored file.
 */
import { join } from "node:path";
import { git } from "../git/mod.ts";
import { compileGlob } from "../glob/mod.ts";
import { checkWritable, type PathPolicy, resolveInside } from "./paths.ts";
import { readDiskText, ToolError } from "./files.ts";
import { writeRegularFile } from "./regular_file.ts";

/** An SE packet's changes: whole-file writes and deletes. */
export interface Packet {
  writes: { path: string; content: string }[];
  deletes: string[];
}

/** A change that is not part of the packet, and why. */
export interface RefusedChange {
  path: string;
  reason: string;
}

/** What the pending changes need to know about their working copy. */
export interface PendingScope {
  dir: string;
  policy: PathPolicy;
}

/** A file a command may produce but that is never part of the changes. */
export const BUILD_OUTPUT_GLOBS = [
  "**/__pycache__/**",
  "**/*.pyc",
  "**/.pytest_cache/**",
  "**/.mypy_cache/**",
  "**/.ruff_cache/**",
  "**/.tox/**",
  "**/.venv/**",
  "**/node_modules/**",
  "**/.nyc_output/**",
  "**/.coverage",
];
const isBuildOutput = compileGlob(BUILD_OUTPUT_GLOBS);

/** Largest file a command's change may bring into the packet. */
export const MAX_PACKET_FILE_BYTES = 1024 * 1024;
/**
 * Most files and characters of content a turn's changes hold: the packet
 * lives in memory, the journal and the artifacts, so a command writing
 * thousands of files must not be able to fill the service's memory; and its
 * diff is redacted on the event loop (~40 MB/s), so 8 MiB stays a fraction of
 * a second.
 */
export const MAX_PACKET_FILES = 2_000;
export const MAX_PACKET_CHARS = 8 * 1024 * 1024;

/** One pending change: new content (null = deleted) and whether the file existed at the start. */
interface Change {
  content: string | null;
  existed: boolean;
}

/** How the changes moved during one command, for its answer. */
export interface ChangeReport {
  changed: string[];
  refused: RefusedChange[];
  buildOutput: number;
}

/** Tracks the working copy's changes against the start-of-turn commit (HEAD). */
export class PendingChanges {
  readonly #scope: PendingScope;
  readonly #changes = new Map<string, Change>();
  /** Paths the SE's own tools wrote or deleted, with whether they existed at the start. */
  readonly #touched = new Map<string, boolean>();
  #refused = new Map<string, string>();
  #buildOutput = 0;

  constructor(scope: PendingScope) {
    this.#scope = scope;
  }

  /** The pending packet (sorted by path). */
  packet(): Packet {
    const paths = [...this.#changes.keys()].sort();
    const writes: Packet["writes"] = [];
    const deletes: string[] = [];
    for (const path of paths) {
      const change = this.#changes.get(path) as Change;
      if (change.content === null) deletes.push(path);
      else writes.push({ path, content: change.content });
    }
    return { writes, deletes };
  }

  /** Changes on disk the path policy keeps out of the packet. */
  refused(): RefusedChange[] {
    return [...this.#refused].map(([path, reason]) => ({ path, reason }));
  }

  /** Notes, before an SE tool changes `path`, whether it existed at the start of the turn. */
  async touch(path: string, onDisk: boolean): Promise<void> {
    if (this.#touched.has(path)) return;
    const known = this.#changes.get(path);
    const existed = known ? known.existed : onDisk || await this.#inStart(path);
    this.#touched.set(path, existed);
  }

  /** An SE tool wrote `content` to `path` (already checked against the policy). */
  recordWrite(path: string, content: string): void {
    this.#changes.set(path, {
      content,
      existed: this.#touched.get(path) ?? false,
    });
    this.#refused.delete(path);
  }

  /** An SE tool deleted `path`. */
  recordDelete(path: string): void {
    const existed = this.#touched.get(path) ?? true;
    if (existed) this.#changes.set(path, { content: null, existed });
    else this.#changes.delete(path);
  }

  /** Re-reads every change from disk after a command; returns what moved since before. */
  async rescan(): Promise<ChangeReport> {
    const before = new Map(this.#changes);
    const refusedBefore = new Map(this.#refused);
    const candidates = new Map<string, boolean>();
    for (const [path, existed] of await this.#status()) {
      candidates.set(path, existed);
    }
    for (const [path, existed] of this.#touched) {
      if (!candidates.has(path)) candidates.set(path, existed);
    }
    this.#changes.clear();
    this.#refused = new Map();
    this.#buildOutput = 0;
    // The SE's own writes first: a command's mass of files must not crowd them out.
    const ordered = [...candidates].sort(([a], [b]) =>
      Number(this.#touched.has(b)) - Number(this.#touched.has(a))
    );
    let chars = 0;
    for (const [path, existed] of ordered) {
      if (this.#changes.size >= MAX_PACKET_FILES || chars > MAX_PACKET_CHARS) {
        if (!isBuildOutput(path)) {
          this.#refused.set(
            path,
            `'${path}' was left out: this turn's changes already hold ${this.#changes.size} files and ${chars} characters (at most ${MAX_PACKET_FILES} files and ${MAX_PACKET_CHARS} characters)`,
          );
        } else this.#buildOutput++;
        continue;
      }
      const change = await this.#read(path, existed);
      if (change === "build") this.#buildOutput++;
      else if (typeof change === "string") this.#refused.set(path, change);
      else if (change !== null) {
        const size = change.content?.length ?? 0;
        if (chars + size > MAX_PACKET_CHARS && !this.#touched.has(path)) {
          this.#refused.set(
            path,
            `'${path}' was left out: with it this turn's changes would pass ${MAX_PACKET_CHARS} characters`,
          );
          continue;
        }
        chars += size;
        this.#changes.set(path, change);
      }
    }
    const changed: string[] = [];
    for (const [path, change] of this.#changes) {
      const old = before.get(path);
      if (old && old.content === change.content) continue;
      changed.push(
        `${path} (${
          change.content === null
            ? "deleted"
            : change.existed
            ? "modified"
            : "created"
        })`,
      );
    }
    for (const path of before.keys()) {
      if (!this.#changes.has(path)) changed.push(`${path} (back as it was)`);
    }
    const refused = this.refused().filter((r) =>
      refusedBefore.get(r.path) !== r.reason
    );
    return { changed: changed.sort(), refused, buildOutput: this.#buildOutput };
  }

  /** Puts a journaled pending packet back on disk (a resumed turn). */
  async restore(packet: Packet): Promise<void> {
    const { dir, policy } = this.#scope;
    for (const path of packet.deletes) {
      checkWritable(path, policy);
      const target = await resolveInside(dir, path, { forDelete: true });
      const info = await Deno.lstat(target).catch(() => null);
      await this.touch(path, info !== null);
      if (info?.isFile || info?.isSymlink) await Deno.remove(target);
      this.recordDelete(path);
    }
    for (const { path, content } of packet.writes) {
      checkWritable(path, policy);
      const target = await resolveInside(dir, path, { forWrite: true });
      await this.touch(
        path,
        await Deno.lstat(target).then(() => true, () => false),
      );
      await Deno.mkdir(join(target, ".."), { recursive: true });
      await writeRegularFile(target, content, { path, replaceSpecial: true });
      this.recordWrite(path, content);
    }
  }

  /** The change at `path` now: a Change, null (no change), "build" (left out), or why it is refused. */
  async #read(
    path: string,
    existed: boolean,
  ): Promise<Change | null | "build" | string> {
    const { dir, policy } = this.#scope;
    const own = this.#touched.has(path);
    if (!own && isBuildOutput(path)) return "build";
    try {
      checkWritable(path, policy);
    } catch (error) {
      return (error as Error).message;
    }
    const info = await Deno.lstat(join(dir, path)).catch(() => null);
    if (info && !info.isFile) {
      return `'${path}' is ${
        info.isSymlink ? "a symbolic link" : "not a regular file"
      }; only regular files can be part of the changes`;
    }
    try {
      await resolveInside(dir, path, { forWrite: true });
    } catch (error) {
      return (error as Error).message;
    }
    if (!info) return existed ? { content: null, existed } : null;
    if (info.size > MAX_PACKET_FILE_BYTES) {
      return `'${path}' has ${info.size} bytes; a command's file over ${MAX_PACKET_FILE_BYTES} bytes is not taken into the changes`;
    }
    let text: Awaited<ReturnType<typeof readDiskText>>;
    try {
      text = await readDiskText(dir, path, { maxBytes: MAX_PACKET_FILE_BYTES });
    } catch (error) {
      return error instanceof ToolError
        ? `${error.message}; only regular text files can be part of the changes`
        : `'${path}' could not be read: ${(error as Error).message}`;
    }
    if (text.kind === "binary") {
      return `'${path}' is binary; only text files can be part of the changes`;
    }
    return { content: text.content, existed };
  }

  /** Paths git sees changed against HEAD (index = HEAD; commands cannot touch .git): path → existed. */
  async #status(): Promise<Map<string, boolean>> {
    const out = (await git([
      "status",
      "--porcelain=v1",
      "-z",
      "--untracked-files=all",
      "--no-renames",
      "--ignore-submodules=all",
    ], { cwd: this.#scope.dir })).stdout;
    const result = new Map<string, boolean>();
    for (const entry of out.split("\0")) {
      if (entry.length < 4) continue;
      const code = entry.slice(0, 2);
      result.set(entry.slice(3).replace(/\/$/, ""), code !== "??");
    }
    return result;
  }

  async #inStart(path: string): Promise<boolean> {
    const result = await git(["cat-file", "-e", `HEAD:${path}`], {
      cwd: this.#scope.dir,
      allowFailure: true,
    });
    return result.code === 0;
  }
}
