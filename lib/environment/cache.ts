/**
 * Cached environments under `$WORKSPACE_ROOT/.envs/<key>/`: `tree/` holds what
 * setup left outside git's tracked files, laid out as in the repo root
 * (`tree/node_modules/…`, `tree/.venv/…`), `meta.json` describes it and its
 * mtime is the last use. An entry is written once (built in a temp dir, then
 * renamed into place) and never changed: commands see it only as a read-only
 * layer. The cache is bounded in bytes; the least recently used entries go first.
 */
import { dirname, join, resolve } from "node:path";
import { git } from "../git/mod.ts";

/** The description stored beside an environment. */
export interface EnvironmentMeta {
  key: string;
  /** Top-level untracked paths setup produced (`node_modules/`, `src/ext.so`). */
  roots: string[];
  files: number;
  bytes: number;
  created_at: string;
}

/** A cached environment ready to be restored. */
export interface CachedEnvironment extends EnvironmentMeta {
  /** The directory laid out like the repo root. */
  tree: string;
}

/** An entry used more recently than this is never evicted: a command may still be reading it. */
export const EVICTION_GRACE_MS = 2 * 60 * 60 * 1000;

const KEY = /^[0-9a-f]{64}$/;

/** The environment store of one WORKSPACE_ROOT. */
export class EnvironmentCache {
  /** `$WORKSPACE_ROOT/.envs`. */
  readonly dir: string;
  readonly maxBytes: number;

  constructor(opts: { workspaceRoot: string; maxBytes: number }) {
    this.dir = join(resolve(opts.workspaceRoot), ".envs");
    this.maxBytes = opts.maxBytes;
  }

  /** The entry for `key`, marked as just used; null when it is not cached. */
  async lookup(key: string): Promise<CachedEnvironment | null> {
    if (!KEY.test(key)) throw new TypeError(`Invalid environment key '${key}'`);
    const entry = join(this.dir, key);
    let meta: EnvironmentMeta;
    try {
      meta = JSON.parse(await Deno.readTextFile(join(entry, "meta.json")));
    } catch {
      return null;
    }
    const now = new Date();
    await Deno.utime(join(entry, "meta.json"), now, now).catch(() => {});
    return { ...meta, tree: join(entry, "tree") };
  }

  /**
   * Moves everything untracked in the checkout `dir` (setup's output) into a
   * new entry for `key` and returns it; when another run stored the same key
   * meanwhile, that entry wins and this copy is dropped. Then evicts down to the bound.
   */
  async capture(dir: string, key: string): Promise<CachedEnvironment> {
    if (!KEY.test(key)) throw new TypeError(`Invalid environment key '${key}'`);
    await Deno.mkdir(this.dir, { recursive: true });
    const staging = join(this.dir, `.tmp-${crypto.randomUUID()}`);
    const tree = join(staging, "tree");
    try {
      await Deno.mkdir(tree, { recursive: true });
      const roots = await untrackedRoots(dir);
      for (const root of roots) {
        const target = join(tree, root);
        await Deno.mkdir(dirname(target), { recursive: true });
        await Deno.rename(join(dir, root), target);
      }
      const { files, bytes } = await measure(tree);
      const meta: EnvironmentMeta = {
        key,
        roots,
        files,
        bytes,
        created_at: new Date().toISOString(),
      };
      await Deno.writeTextFile(
        join(staging, "meta.json"),
        JSON.stringify(meta, null, 2) + "\n",
      );
      try {
        await Deno.rename(staging, join(this.dir, key));
      } catch (error) {
        const existing = await this.lookup(key);
        if (!existing) throw error;
        return existing;
      }
      await this.evict(key);
      return { ...meta, tree: join(this.dir, key, "tree") };
    } finally {
      await removeTree(staging);
    }
  }

  /** Entries with their size and last use, least recently used first. */
  async list(): Promise<(EnvironmentMeta & { used_at: number })[]> {
    const entries: (EnvironmentMeta & { used_at: number })[] = [];
    for await (const item of readDirOrEmpty(this.dir)) {
      if (!KEY.test(item.name)) continue;
      const file = join(this.dir, item.name, "meta.json");
      try {
        const meta = JSON.parse(await Deno.readTextFile(file));
        const used = (await Deno.stat(file)).mtime?.getTime() ?? 0;
        entries.push({ ...meta, used_at: used });
      } catch { /* being written or removed by another process */ }
    }
    return entries.sort((a, b) => a.used_at - b.used_at);
  }

  /**
   * Removes least recently used entries until the total fits `maxBytes`,
   * sparing `keep` and anything used within EVICTION_GRACE_MS.
   */
  async evict(keep?: string, now = Date.now()): Promise<string[]> {
    // Staging dirs a killed process left behind.
    for await (const item of readDirOrEmpty(this.dir)) {
      if (!item.name.startsWith(".tmp-")) continue;
      const path = join(this.dir, item.name);
      const mtime = (await Deno.lstat(path).catch(() => null))?.mtime;
      if (mtime && now - mtime.getTime() > EVICTION_GRACE_MS) {
        await removeTree(path);
      }
    }
    const entries = await this.list();
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    const evicted: string[] = [];
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      if (entry.key === keep || now - entry.used_at < EVICTION_GRACE_MS) {
        continue;
      }
      // Renamed first, so a lookup never sees a half-deleted tree.
      const doomed = join(this.dir, `.tmp-${crypto.randomUUID()}`);
      try {
        await Deno.rename(join(this.dir, entry.key), doomed);
      } catch {
        continue;
      }
      await removeTree(doomed);
      total -= entry.bytes;
      evicted.push(entry.key);
    }
    return evicted;
  }
}

/** Untracked paths of a checkout, whole directories collapsed (ignored files included). */
export async function untrackedRoots(dir: string): Promise<string[]> {
  const out = await git(["ls-files", "--others", "--directory", "-z"], {
    cwd: dir,
  });
  return out.stdout.split("\0").filter(Boolean).map((p) =>
    p.endsWith("/") ? p.slice(0, -1) : p
  ).sort();
}

/** File count and bytes on disk (allocated blocks) of a tree; symlinks count as files. */
export async function measure(
  dir: string,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for await (const item of readDirOrEmpty(current)) {
      const path = join(current, item.name);
      if (item.isDirectory) {
        stack.push(path);
        continue;
      }
      files++;
      const info = await Deno.lstat(path).catch(() => null);
      bytes += info?.blocks != null ? info.blocks * 512 : info?.size ?? 0;
    }
  }
  return { files, bytes };
}

async function* readDirOrEmpty(dir: string): AsyncIterable<Deno.DirEntry> {
  try {
    yield* Deno.readDir(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Removes a tree, first opening directories setup left unreadable (a package's `chmod 000`). */
async function removeTree(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    await new Deno.Command("chmod", { args: ["-R", "u+rwx", dir] }).output()
      .catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
