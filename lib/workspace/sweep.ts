/**
 * Workspace retention: a finished run's workspace is removed once its
 * retention has passed, then the mirror cache is trimmed to its bound. Each
 * worker process sweeps its own WORKSPACE_ROOT (a workspace lives where it
 * was built; any worker may have rebuilt one).
 */
import { join, resolve } from "node:path";
import { withLock } from "../lock.ts";
import { type MirrorTrim, trimMirrors } from "../git/mod.ts";

/** What the sweep needs to know about a run: null when this store has no such run. */
export type RunLookup = (
  runId: string,
) => Promise<{ status: string; finished_at: string | null } | null>;

/** Options of `sweepWorkspaces`. */
export interface SweepOptions {
  root: string;
  runOf: RunLookup;
  /** How long a run's workspace is kept after it finished, by terminal status (ms). */
  retentionMs: (status: string) => number;
  /** Bound of `${root}/.cache`. */
  mirrorCacheBytes: number;
  now?: number;
}

/** What one sweep removed. */
export interface SweepResult {
  /** Workspace directories removed. */
  workspaces: string[];
  /** Workspace directories left in place. */
  kept: number;
  mirrors: MirrorTrim;
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "REJECTED"]);
/** A mirror used this recently is never evicted: a checkout may be starting from it. */
const MIRROR_MIN_IDLE_MS = 10 * 60_000;
/** Run ids are UUIDs; a directory may carry a suffix after one (another copy of the run). */
const RUN_DIR =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[._-].*)?$/i;

/**
 * Removes the workspaces of runs that finished more than their retention
 * ago, then trims the mirrors. Directories of runs that are unknown (another
 * service's, or not runs at all), still live, or hidden (the caches) stay.
 */
export async function sweepWorkspaces(
  opts: SweepOptions,
): Promise<SweepResult> {
  const root = resolve(opts.root);
  const now = opts.now ?? Date.now();
  const workspaces: string[] = [];
  const kept: string[] = [];
  for (const name of await listDir(root)) {
    if (name.startsWith(".")) continue;
    const dir = join(root, name);
    const runId = RUN_DIR.exec(name)?.[1] ?? name;
    const run = await opts.runOf(runId);
    const finishedAt = run?.finished_at ? Date.parse(run.finished_at) : NaN;
    if (
      run && TERMINAL.has(run.status) && Number.isFinite(finishedAt) &&
      now - finishedAt >= opts.retentionMs(run.status)
    ) {
      await withLock(dir, () => removeTree(dir));
      workspaces.push(dir);
    } else {
      kept.push(dir);
    }
  }
  const mirrors = await trimMirrors({
    cacheDir: join(root, ".cache"),
    maxBytes: opts.mirrorCacheBytes,
    inUse: await mirrorsBorrowedBy(kept),
    minIdleMs: MIRROR_MIN_IDLE_MS,
    now,
  });
  return { workspaces, kept: kept.length, mirrors };
}

/** The mirrors whose objects the workspaces in `dirs` borrow (`.git/objects/info/alternates`). */
async function mirrorsBorrowedBy(dirs: string[]): Promise<Set<string>> {
  const mirrors = new Set<string>();
  for (const dir of dirs) {
    let text: string;
    try {
      text = await Deno.readTextFile(
        join(dir, ".git", "objects", "info", "alternates"),
      );
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const objects = line.trim();
      if (objects.endsWith("/objects")) {
        mirrors.add(resolve(dir, ".git", "objects", objects, ".."));
      }
    }
  }
  return mirrors;
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}

/** Removes `dir`; directories a command made read-only are made writable first. */
async function removeTree(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    await new Deno.Command("chmod", { args: ["-R", "u+w", "--", dir] })
      .output();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A running periodic sweep; `stop()` waits for the sweep in progress. */
export interface WorkspaceSweeper {
  stop(): Promise<void>;
}

/** Sweeps now and every `intervalMs` (one sweep at a time); failures are logged, never thrown. */
export function startWorkspaceSweeper(
  opts: Omit<SweepOptions, "now"> & {
    intervalMs: number;
    log: (line: string) => void;
    /** Hears of each sweep that ended (what is left on disk, for metrics). */
    onSweep?: (result: SweepResult) => Promise<void> | void;
  },
): WorkspaceSweeper {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = sweepWorkspaces(opts).then(async (result) => {
      await opts.onSweep?.(result);
      if (result.workspaces.length > 0 || result.mirrors.removed.length > 0) {
        opts.log(
          `Removed ${result.workspaces.length} finished runs' workspaces and ${result.mirrors.removed.length} mirrors (mirror cache now ${result.mirrors.bytes} bytes)`,
        );
      }
    }, (error) => opts.log(`Workspace sweep failed: ${error}`)).finally(() => {
      running = null;
    });
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
