/**
 * The bound of the mirror cache: when the mirrors under the cache directory
 * take more than `maxBytes`, the least recently used ones are removed (a
 * mirror is used by a fetch or a checkout from it; see `noteMirrorUse`).
 */
import { join } from "node:path";
import { fetchMarker } from "./mirror.ts";
import { withLock } from "../lock.ts";

/** What one trim did. */
export interface MirrorTrim {
  /** Mirror directories removed, least recently used first. */
  removed: string[];
  /** Bytes of the mirrors left. */
  bytes: number;
}

/**
 * Removes least recently used mirrors of `cacheDir` until the rest fit in
 * `maxBytes`. Never removes a mirror in `inUse` (workspaces borrow its
 * objects: `git clone --shared`) or one used within `minIdleMs` (a
 * checkout from it may be starting in another process).
 */
export async function trimMirrors(opts: {
  cacheDir: string;
  maxBytes: number;
  inUse: ReadonlySet<string>;
  minIdleMs: number;
  now?: number;
}): Promise<MirrorTrim> {
  const now = opts.now ?? Date.now();
  const mirrors: { dir: string; bytes: number; usedAt: number }[] = [];
  try {
    for await (const entry of Deno.readDir(opts.cacheDir)) {
      if (!entry.isDirectory || !/^[0-9a-f]{64}$/.test(entry.name)) continue;
      const dir = join(opts.cacheDir, entry.name);
      const info = await Deno.stat(dir);
      mirrors.push({
        dir,
        bytes: await treeBytes(dir),
        usedAt: info.mtime?.getTime() ?? 0,
      });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { removed: [], bytes: 0 };
    throw error;
  }
  let bytes = mirrors.reduce((sum, m) => sum + m.bytes, 0);
  const removed: string[] = [];
  mirrors.sort((a, b) => a.usedAt - b.usedAt);
  for (const mirror of mirrors) {
    if (bytes <= opts.maxBytes) break;
    if (opts.inUse.has(mirror.dir)) continue;
    if (now - mirror.usedAt < opts.minIdleMs) continue;
    if (await removeIdleMirror(mirror.dir, mirror.usedAt)) {
      removed.push(mirror.dir);
      bytes -= mirror.bytes;
    }
  }
  return { removed, bytes };
}

/** Removes `dir` under the mirror's locks unless it was used since `usedAt`. */
async function removeIdleMirror(dir: string, usedAt: number): Promise<boolean> {
  return await withLock(dir, async () => {
    const lockFile = await Deno.open(`${dir}.lock`, {
      create: true,
      write: true,
    });
    try {
      await lockFile.lock(true);
      const info = await Deno.stat(dir).catch(() => null);
      if (!info || (info.mtime?.getTime() ?? 0) > usedAt) return false;
      await Deno.remove(fetchMarker(dir)).catch(() => {});
      await Deno.remove(dir, { recursive: true });
      return true;
    } finally {
      lockFile.close();
    }
  });
}

/** Bytes of the regular files under `dir` (symlinks not followed). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) total += await treeBytes(path);
    else if (entry.isFile) total += (await Deno.lstat(path)).size;
  }
  return total;
}
