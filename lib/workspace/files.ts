/** Disk access for the workspace view: the file listing, text reading, and model-facing errors. */
import { git } from "../git/mod.ts";
import { PathPolicyError, resolveInside } from "./paths.ts";
import {
  FileTooLargeError,
  NotRegularFileError,
  readRegularFile,
} from "./regular_file.ts";

/** A tool call the model can correct; the message is returned to it as the tool result. */
export class ToolError extends Error {
  override name = "ToolError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A file's text, or the fact that it is binary. */
export type Text =
  | { kind: "text"; content: string; bytes: number }
  | { kind: "binary"; bytes: number };

/** Bytes sniffed for NUL to call a file binary. */
const SNIFF_BYTES = 8000;

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** Tracked plus untracked-not-ignored files on disk (what `.gitignore` lets through), minus deleted ones. */
export async function listDiskFiles(dir: string): Promise<Set<string>> {
  const list = async (args: string[]) =>
    (await git(["ls-files", "-z", ...args], { cwd: dir })).stdout.split("\0")
      .filter(Boolean);
  const files = new Set(
    await list(["--cached", "--others", "--exclude-standard"]),
  );
  for (const gone of await list(["--deleted"])) files.delete(gone);
  return files;
}

/** How much of a file readDiskText loads, and what stops it. */
export interface TextReadOptions {
  /** Largest file read; a larger one is a ToolError naming its size. */
  maxBytes: number;
  /** The tool named in that error (default read_file). */
  tool?: string;
  signal?: AbortSignal | undefined;
}

/**
 * The text of `p` under `dir`; symlinks out of `dir`, directories, FIFOs,
 * sockets, devices, files past `maxBytes` and missing files are ToolErrors.
 */
export async function readDiskText(
  dir: string,
  p: string,
  opts: TextReadOptions,
): Promise<Text> {
  const abs = await guardAsync(() => resolveInside(dir, p));
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(abs, {
      path: p,
      maxBytes: opts.maxBytes,
      signal: opts.signal,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ToolError(`File '${p}' does not exist`);
    }
    if (error instanceof NotRegularFileError) {
      throw new ToolError(
        error.kind === "a directory"
          ? `Path '${p}' is a directory; use list_files to see what is in it`
          : `${error.message}; AOS reads regular files only`,
        { cause: error },
      );
    }
    if (error instanceof FileTooLargeError) {
      throw new ToolError(
        `File '${p}' has ${error.bytes} bytes or more, more than ${
          opts.tool ?? "read_file"
        } loads (${opts.maxBytes}); work on it with run_command (head, sed -n, sed -i)`,
        { cause: error },
      );
    }
    throw error;
  }
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) {
    return { kind: "binary", bytes: bytes.length };
  }
  try {
    return {
      kind: "text",
      content: fatalDecoder.decode(bytes),
      bytes: bytes.length,
    };
  } catch {
    return { kind: "binary", bytes: bytes.length };
  }
}

/** Runs `fn`, turning a PathPolicyError into a ToolError with the same message. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof PathPolicyError) {
      throw new ToolError(error.message, { cause: error });
    }
    throw error;
  }
}

/** guard() for async work. */
export async function guardAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PathPolicyError) {
      throw new ToolError(error.message, { cause: error });
    }
    throw error;
  }
}
