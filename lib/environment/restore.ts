/**
 * Putting a cached environment under a workspace. With bwrap and overlay
 * support the environment is a read-only layer beneath the workspace in every
 * sandboxed command: nothing is copied, nothing the command does reaches the
 * cache. Otherwise (AOS_SANDBOX=none, or no overlay in user namespaces) it is
 * copied in with `cp --reflink=auto`, which shares blocks where the filesystem can.
 */
import { join, resolve } from "node:path";
import { overlayProblem } from "../sandbox/mod.ts";
import type { SandboxMode } from "../sandbox/mod.ts";
import type { CachedEnvironment } from "./cache.ts";

/** How commands of a workspace with an environment must be run (spread into runCommand options). */
export interface CommandLayout {
  /** The fixed path the workspace appears at inside the sandbox; setup baked it in. */
  mountAt?: string;
  /** Read-only layers beneath the workspace. */
  layers: string[];
}

/** Where a workspace with an environment appears inside the sandbox: the same for every run, hidden on the host side. */
export function sandboxMountPath(workspaceRoot: string): string {
  return join(resolve(workspaceRoot), ".sandbox", "repo");
}

/** How environments are restored under `mode`: as a layer, or by copying. */
export async function restoreMethod(
  mode: SandboxMode,
): Promise<"layer" | "copy"> {
  return mode === "bwrap" && await overlayProblem() === null ? "layer" : "copy";
}

/**
 * Restores `environment` into the checkout `dir` (already reset to its base)
 * and returns how its commands must run. Idempotent; cheap for layers.
 */
export async function restoreEnvironment(opts: {
  dir: string;
  environment: CachedEnvironment;
  mode: SandboxMode;
  workspaceRoot: string;
}): Promise<CommandLayout> {
  const { dir, environment } = opts;
  const mountAt = opts.mode === "bwrap"
    ? { mountAt: sandboxMountPath(opts.workspaceRoot) }
    : {};
  await excludeRoots(dir, environment.roots);
  if (await restoreMethod(opts.mode) === "layer") {
    // `git clean` leaves overlay whiteouts (character devices) for roots a command
    // deleted; they would hide the layer's files from the next command.
    for (const root of environment.roots) {
      const info = await Deno.lstat(join(dir, root)).catch(() => null);
      if (info && !info.isFile && !info.isDirectory && !info.isSymlink) {
        await Deno.remove(join(dir, root));
      }
    }
    return { ...mountAt, layers: [environment.tree] };
  }
  const copy = await new Deno.Command("cp", {
    args: ["-a", "--reflink=auto", "--", `${environment.tree}/.`, `${dir}/`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!copy.success) {
    throw new Error(
      `Could not restore environment '${
        environment.key.slice(0, 12)
      }' into '${dir}': ${new TextDecoder().decode(copy.stderr).trim()}`,
    );
  }
  return { ...mountAt, layers: [] };
}

const BEGIN =
  "# aos: environment (restored by AOS, not part of the repository)";
const END = "# aos: end";

/**
 * Lists the environment's roots in `.git/info/exclude`, so diffs and commits
 * never pick up a copy-up a command left in `node_modules/` of a repo that does
 * not ignore it. The block is rewritten, other lines kept.
 */
async function excludeRoots(dir: string, roots: string[]): Promise<void> {
  const file = join(dir, ".git", "info", "exclude");
  const current = await Deno.readTextFile(file).catch(() => "");
  const kept: string[] = [];
  let inside = false;
  for (const line of current.split("\n")) {
    if (line === BEGIN) inside = true;
    else if (line === END) inside = false;
    else if (!inside) kept.push(line);
  }
  while (kept.length > 0 && kept.at(-1) === "") kept.pop();
  const escaped = roots.map(excludePattern);
  const next = [...kept, BEGIN, ...escaped, END, ""].join("\n");
  if (next === current) return;
  await Deno.mkdir(join(dir, ".git", "info"), { recursive: true });
  await Deno.writeTextFile(file, next);
}

/**
 * The `.git/info/exclude` line matching exactly the path `root` (from the repo
 * root). Setup names these files, so a name is hostile: a newline in it would
 * start a line of its own (`*`, `!x`, `feature.py`) and change what git commits.
 * Glob characters and spaces are escaped; each control character becomes
 * `[[:cntrl:]]`, so no control character ever reaches the file.
 */
export function excludePattern(root: string): string {
  return "/" + root.replace(/[\\*?[\]!# ]/g, "\\$&")
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x1f\x7f]/g, "[[:cntrl:]]");
}
