/**
 * The SE's working copy as its tools see it: a real checkout where reads,
 * listings and searches see the SE's own pending writes because they are on
 * disk, and where run_command works. Every answer is model-facing text, a
 * bounded window at a time; problems the model can correct are ToolErrors.
 */
import { join } from "node:path";
import {
  checkWritable,
  normalizeRepoDir,
  normalizeRepoPath,
  resolveInside,
} from "./paths.ts";
import {
  guard,
  guardAsync,
  listDiskFiles,
  readDiskText,
  ToolError,
} from "./files.ts";
import {
  describeKind,
  NotRegularFileError,
  writeRegularFile,
} from "./regular_file.ts";
import { type LineWindow, readWindow, splitLines } from "./file_window.ts";
import { findFiles, listing, type ListOptions } from "./file_listing.ts";
import { applyEdit } from "./text_edit.ts";
import { gitSearch } from "./git_search.ts";
import {
  runSeCommand,
  type SeCommandSettings,
  type SeCommandUsage,
} from "./se_command.ts";
import type { Packet, PendingChanges, RefusedChange } from "./pending.ts";

export type { Packet, RefusedChange } from "./pending.ts";
import {
  type PreparedWorkingCopy,
  prepareWorkingCopy,
  type WorkingCopySource,
} from "./working_copy_prepare.ts";

export { ToolError } from "./files.ts";

/** How the tools behave: commands (absent = no run_command), search timeout, cancellation. */
export interface WorkingCopyOptions {
  commands?: SeCommandSettings | undefined;
  /** Commands already run this turn (a resumed turn keeps its limits). */
  commandUsage?: SeCommandUsage | undefined;
  /** How long search_files may run (default 10 s). */
  searchTimeoutMs?: number;
  /** The turn's signal: cancels a running command or search. */
  signal?: AbortSignal | undefined;
  /** Sees every command the SE ran (for the run's SE_COMMAND events). */
  onCommand?: ((run: SeCommandRecord) => void) | undefined;
  /** Told when an SE command starts (for the run's CMD_START events). */
  onCommandStart?: ((command: string, timeoutS: number) => void) | undefined;
}

/** One SE command as the run's events record it. */
export interface SeCommandRecord {
  command: string;
  exit_code: number | null;
  duration_ms: number;
  timed_out: boolean;
  /** Paths the command changed in the packet, and paths it wrote that were refused. */
  changed: number;
  refused: number;
}

/** Largest file read_file loads (it shows a window, so size costs little). */
const MAX_TEXT_BYTES = 32 * 1024 * 1024;
/** Largest file edit_file changes: its search is linear, but still per byte on the event loop. */
const MAX_EDIT_BYTES = 4 * 1024 * 1024;

/** The SE's working copy: file tools, search and commands over a real checkout. */
export class WorkingCopy {
  /** The checkout's directory. */
  readonly dir: string;
  /** The start-of-turn commit (base + earlier packets). */
  readonly startCommit: string;
  /** Where the checkout appears inside the sandbox (a restored environment fixes it), else its own path. */
  readonly mountAt: string | undefined;
  readonly #changes: PendingChanges;
  readonly #policy: { allowed: string[]; forbidden: string[] };
  readonly #options: WorkingCopyOptions;
  readonly #usage: SeCommandUsage;
  /** run_command, present only when the work order allows SE commands. */
  readonly runCommand:
    | ((
      command: string,
      opts?: {
        timeoutS?: number | undefined;
        signal?: AbortSignal | undefined;
      },
    ) => Promise<string>)
    | undefined;

  constructor(
    prepared: PreparedWorkingCopy,
    policy: { allowed: string[]; forbidden: string[] },
    options: WorkingCopyOptions = {},
  ) {
    this.dir = prepared.dir;
    this.startCommit = prepared.startCommit;
    this.mountAt = prepared.mounts.mountAt;
    this.#changes = prepared.changes;
    this.#policy = policy;
    this.#options = options;
    this.#usage = { ...(options.commandUsage ?? { commands: 0, seconds: 0 }) };
    // The environment restored under the checkout decides how commands mount it.
    const settings = options.commands && {
      ...options.commands,
      ...prepared.mounts,
    };
    this.runCommand = settings
      ? (command, opts = {}) => this.#run(command, settings, opts)
      : undefined;
  }

  /** Builds the working copy from its source (see prepareWorkingCopy) and opens it. */
  static async open(
    source: WorkingCopySource,
    options: WorkingCopyOptions = {},
  ): Promise<WorkingCopy> {
    return new WorkingCopy(
      await prepareWorkingCopy(source),
      source.policy,
      options,
    );
  }

  /** The pending packet: this turn's changes that pass the path policy. */
  packet(): Packet {
    return this.#changes.packet();
  }

  /** Changes on disk the path policy keeps out of the packet. */
  refused(): RefusedChange[] {
    return this.#changes.refused();
  }

  /** Commands run and command seconds used this turn. */
  commandUsage(): SeCommandUsage {
    return { ...this.#usage };
  }

  /** list_files: one level by default, directories with file counts, a page at a time. */
  async listFiles(path?: string, opts: ListOptions = {}): Promise<string> {
    const dir = guard(() => normalizeRepoDir(path));
    return listing(await this.#files(), dir, opts);
  }

  /** find_files: paths matching a glob, a page at a time. */
  async findFiles(
    glob: string,
    opts: { offset?: number } = {},
  ): Promise<string> {
    return findFiles(await this.#files(), glob, opts.offset ?? 0);
  }

  /** read_file: a window of numbered lines with the total line count. */
  async readFile(path: string, window: LineWindow = {}): Promise<string> {
    const { path: p, content } = await this.readText(path);
    return readWindow(p, content, window);
  }

  /** The whole text of a file (for context files); binary and missing files are ToolErrors. */
  readText(path: string): Promise<{ path: string; content: string }> {
    return this.#readText(path, MAX_TEXT_BYTES, "read_file");
  }

  async #readText(
    path: string,
    maxBytes: number,
    tool: string,
  ): Promise<{ path: string; content: string }> {
    const p = guard(() => normalizeRepoPath(path));
    const text = await readDiskText(this.dir, p, {
      maxBytes,
      tool,
      signal: this.#options.signal,
    });
    if (text.kind === "binary") {
      throw new ToolError(
        `File '${p}' is binary (${text.bytes} bytes) and cannot be read as text`,
      );
    }
    return { path: p, content: text.content };
  }

  /** search_files: git grep over tracked and untracked-not-ignored files, grouped per file. */
  async searchFiles(
    pattern: string,
    path?: string,
    opts: { glob?: string | undefined; ignoreCase?: boolean | undefined } = {},
  ): Promise<string> {
    if (pattern === "") throw new ToolError("pattern must not be empty");
    const dir = guard(() => normalizeRepoDir(path));
    if (dir !== "") {
      const exists = await Deno.lstat(join(this.dir, dir)).then(
        () => true,
        () => false,
      );
      if (!exists) throw new ToolError(`Path '${dir}' does not exist`);
    }
    return await gitSearch(this.dir, {
      pattern,
      path: dir,
      glob: opts.glob,
      ignoreCase: opts.ignoreCase,
    }, {
      timeoutMs: this.#options.searchTimeoutMs ?? 10_000,
      signal: this.#options.signal,
    });
  }

  /** write_file: the whole file (checked against the path policy first). */
  async writeFile(path: string, content: string): Promise<string> {
    const { path: p, existed } = await this.#write(path, content);
    const bytes = new TextEncoder().encode(content).length;
    return `${existed ? "Wrote" : "Created"} '${p}' (${
      splitLines(content).length
    } lines, ${bytes} bytes)`;
  }

  /** edit_file: replaces the one occurrence of old_text; answers with a numbered snippet. */
  async editFile(
    path: string,
    oldText: string,
    newText: string,
  ): Promise<string> {
    const p = await this.#writable(path, "write");
    const { content } = await this.#readText(p, MAX_EDIT_BYTES, "edit_file");
    const edit = applyEdit(p, content, oldText, newText);
    await this.#write(p, edit.content);
    return edit.message;
  }

  /** delete_file. */
  async deleteFile(path: string): Promise<string> {
    const p = await this.#writable(path, "delete");
    const target = join(this.dir, p);
    const info = await Deno.lstat(target).catch(() => null);
    if (!info) throw new ToolError(`File '${p}' does not exist`);
    if (info.isDirectory) {
      throw new ToolError(
        `Path '${p}' is a directory; delete its files one by one`,
      );
    }
    await this.#changes.touch(p, true);
    await Deno.remove(target);
    this.#changes.recordDelete(p);
    return `Deleted '${p}'`;
  }

  /** The repository layout for the prompt: the root two levels deep when small, else one. */
  async layout(maxEntries = 150): Promise<string> {
    const files = await this.#files();
    const deep = listing(files, "", { depth: 2 });
    return deep.split("\n").length <= maxEntries + 1
      ? deep
      : listing(files, "", { depth: 1 });
  }

  async #run(
    command: string,
    settings: SeCommandSettings,
    opts: { timeoutS?: number | undefined; signal?: AbortSignal | undefined },
  ): Promise<string> {
    const signal = opts.signal ?? this.#options.signal;
    const outcome = await runSeCommand(
      this.dir,
      command,
      settings,
      this.#usage,
      {
        timeoutS: opts.timeoutS,
        signal,
        onStart: this.#options.onCommandStart,
      },
    );
    const report = await this.#changes.rescan();
    this.#options.onCommand?.({
      command,
      exit_code: outcome.exitCode,
      duration_ms: outcome.durationMs,
      timed_out: outcome.timedOut,
      changed: report.changed.length,
      refused: report.refused.length,
    });
    return [outcome.text, ...changeLines(report)].join("\n");
  }

  /**
   * Picks up files something other than the file tools changed (an MCP
   * server running in this working copy) and says which, like run_command.
   */
  async rescanChanges(): Promise<string> {
    return changeLines(await this.#changes.rescan(), "this tool call").join(
      "\n",
    );
  }

  async #write(path: string, content: string): Promise<
    { path: string; existed: boolean }
  > {
    const p = await this.#writable(path, "write");
    const target = join(this.dir, p);
    const info = await Deno.lstat(target).catch(() => null);
    if (info?.isDirectory) throw new ToolError(`Path '${p}' is a directory`);
    if (info && !info.isFile) {
      throw new ToolError(
        `'${p}' is ${
          describeKind(info)
        }, not a regular file, so it cannot be written; delete_file it first to put a file there`,
      );
    }
    const parentFile = await this.#fileParent(p);
    if (parentFile) {
      throw new ToolError(
        `Path '${p}' cannot be created: '${parentFile}' is a file`,
      );
    }
    await this.#changes.touch(p, info !== null);
    await Deno.mkdir(join(target, ".."), { recursive: true });
    // mkdir may have created directories; a racing symlink would show up here.
    await this.#writable(p, "write");
    try {
      await writeRegularFile(target, content, { path: p });
    } catch (error) {
      if (error instanceof NotRegularFileError) {
        throw new ToolError(
          `${error.message}; it was not written (delete_file it first)`,
        );
      }
      throw error;
    }
    this.#changes.recordWrite(p, content);
    return { path: p, existed: info !== null };
  }

  async #writable(path: string, action: "write" | "delete"): Promise<string> {
    const p = guard(() => checkWritable(path, this.#policy));
    await guardAsync(() =>
      resolveInside(
        this.dir,
        p,
        action === "write" ? { forWrite: true } : { forDelete: true },
      )
    );
    return p;
  }

  /** The first parent of `p` that is a file, if any. */
  async #fileParent(p: string): Promise<string | null> {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const info = await Deno.lstat(join(this.dir, parent)).catch(() => null);
      if (!info) return null;
      if (!info.isDirectory) return parent;
    }
    return null;
  }

  /** Every visible file: tracked and untracked-not-ignored, as on disk now. */
  async #files(): Promise<string[]> {
    return [...await listDiskFiles(this.dir)].sort();
  }
}

/** What a rescan found, as lines for the model (none when nothing changed). */
function changeLines(
  report: Awaited<ReturnType<PendingChanges["rescan"]>>,
  what = "this command",
): string[] {
  const lines: string[] = [];
  if (report.changed.length > 0) {
    lines.push(
      `Files ${what} changed (part of your changes now): ${
        report.changed.slice(0, 30).join(", ")
      }${
        report.changed.length > 30
          ? `, and ${report.changed.length - 30} more`
          : ""
      }`,
    );
  }
  if (report.refused.length > 0) {
    lines.push(
      `Not part of your changes (refused; they will not be applied):\n${
        report.refused.slice(0, 20).map((r) => `- ${r.reason}`).join("\n")
      }`,
    );
  }
  if (report.buildOutput > 0) {
    lines.push(
      `(${report.buildOutput} build/cache output files such as __pycache__/ are left out of your changes)`,
    );
  }
  return lines;
}
