/**
 * Opening a workspace file that a repository, a setup script or a model
 * controls: only regular files are read or written. A named pipe blocks
 * `open()` until a writer comes (for ever, holding a worker slot), a device
 * streams without end, a socket cannot be opened at all; so the file is
 * opened non-blocking and without following a final symlink, checked on the
 * open handle (no race between a check and the open), and a read stops at a
 * size cap and at the caller's signal.
 */
import { constants, type FileHandle, open } from "node:fs/promises";

const { O_RDONLY, O_WRONLY, O_CREAT, O_NONBLOCK, O_NOFOLLOW } = constants;

/** Bytes read per chunk; the signal is checked between chunks. */
const CHUNK_BYTES = 1024 * 1024;

/** A path that exists but is not a regular file (a FIFO, socket, device, directory). */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  /** What the path is, in words: "a named pipe (FIFO)", "a directory", … */
  readonly kind: string;
  constructor(path: string, kind: string) {
    super(`'${path}' is ${kind}, not a regular file`);
    this.kind = kind;
  }
}

/** A file past the size cap of the read. */
export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
  /** Its size in bytes when known (at least `maxBytes + 1`). */
  readonly bytes: number;
  constructor(path: string, bytes: number, maxBytes: number) {
    super(
      `'${path}' has ${bytes} bytes or more, more than the ${maxBytes} bytes AOS reads at once`,
    );
    this.bytes = bytes;
  }
}

/** How a read is bounded. */
export interface ReadBounds {
  /** The path as the caller names it (repository-relative), for messages. */
  path: string;
  /** Largest file read; a larger one is a FileTooLargeError. */
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

/** What a file-system entry is, in words (for errors the model reads). */
export function describeKind(
  info: {
    isFile: boolean;
    isDirectory: boolean;
    isSymlink: boolean;
    isFifo?: boolean | null;
    isSocket?: boolean | null;
    isCharDevice?: boolean | null;
    isBlockDevice?: boolean | null;
  },
): string {
  if (info.isFile) return "a regular file";
  if (info.isDirectory) return "a directory";
  if (info.isSymlink) return "a symbolic link";
  if (info.isFifo) return "a named pipe (FIFO)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  return "a special file";
}

/**
 * The bytes of the regular file at `abs` (a final symlink is followed; the
 * caller has checked where it points). Anything else is a NotRegularFileError
 * without its content being touched; a file past `maxBytes` is a
 * FileTooLargeError; an aborted signal stops the read with its reason.
 */
export async function readRegularFile(
  abs: string,
  bounds: ReadBounds,
): Promise<Uint8Array> {
  bounds.signal?.throwIfAborted();
  // Refuse by kind before opening: opening some devices has effects of its own.
  const info = await Deno.stat(abs);
  if (!info.isFile) {
    throw new NotRegularFileError(bounds.path, describeKind(info));
  }
  if (info.size > bounds.maxBytes) {
    throw new FileTooLargeError(bounds.path, info.size, bounds.maxBytes);
  }
  const handle = await open(abs, O_RDONLY | O_NONBLOCK);
  try {
    await checkRegular(handle, bounds.path);
    return await readBounded(handle, bounds);
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to `abs` as a regular file (created with the usual mode,
 * an existing file's mode kept). A final symlink is refused (ELOOP); a FIFO,
 * socket or device in the way is a NotRegularFileError, or with
 * `replaceSpecial` (a workspace AOS owns, where it is junk a command left)
 * removed and replaced.
 */
export async function writeRegularFile(
  abs: string,
  content: string | Uint8Array,
  opts: { path: string; replaceSpecial?: boolean },
): Promise<void> {
  const existing = await Deno.lstat(abs).catch(() => null);
  if (existing && !existing.isFile) {
    const special = !existing.isDirectory && !existing.isSymlink;
    if (!special || !opts.replaceSpecial) {
      throw new NotRegularFileError(opts.path, describeKind(existing));
    }
    await Deno.remove(abs);
  }
  const handle = await open(
    abs,
    O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW,
    0o666,
  ).catch((error) => {
    // ENXIO: a FIFO without a reader appeared since the lstat.
    if ((error as { code?: string }).code === "ENXIO") {
      throw new NotRegularFileError(opts.path, "a named pipe (FIFO)");
    }
    throw error;
  });
  try {
    await checkRegular(handle, opts.path);
    await handle.truncate(0);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

async function checkRegular(handle: FileHandle, path: string): Promise<void> {
  const stats = await handle.stat();
  if (stats.isFile()) return;
  throw new NotRegularFileError(
    path,
    describeKind({
      isFile: false,
      isDirectory: stats.isDirectory(),
      isSymlink: false,
      isFifo: stats.isFIFO(),
      isSocket: stats.isSocket(),
      isCharDevice: stats.isCharacterDevice(),
      isBlockDevice: stats.isBlockDevice(),
    }),
  );
}

/** Reads to the end, but never more than `maxBytes + 1` bytes (a file that grew is caught). */
async function readBounded(
  handle: FileHandle,
  bounds: ReadBounds,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    bounds.signal?.throwIfAborted();
    const want = Math.min(CHUNK_BYTES, bounds.maxBytes + 1 - total);
    const buffer = new Uint8Array(want);
    const { bytesRead } = await handle.read(buffer, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > bounds.maxBytes) {
      throw new FileTooLargeError(bounds.path, total, bounds.maxBytes);
    }
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
