/** The key of a cached environment: repository, setup commands, env and the content of the key files. */
import picomatch from "picomatch";
import { git, remoteAccess } from "../git/run.ts";

/** Lockfiles that key an environment when the work order names no `setup_cache_key`. */
export const DEFAULT_CACHE_KEY_FILES = [
  "package-lock.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "requirements*.txt",
  "poetry.lock",
  "uv.lock",
  "Cargo.lock",
  "go.sum",
] as const;

/** Bumped when the layout of a cached environment changes, so old entries are never reused. */
const FORMAT = "aos-env-1";

/** What an environment is keyed by. */
export interface EnvironmentKeyInput {
  repo: string;
  setupCommands: readonly string[];
  /** Globs from `setup_cache_key`, or null for the lockfiles present (at any depth). */
  cacheKey: readonly string[] | null;
  /** The work order's env: a different NODE_ENV or index URL installs something else. */
  env: Record<string, string>;
  /** Where setup ran inside the sandbox: venvs and editable installs bake it in. */
  mountAt: string;
  /** A checkout whose `baseCommit` holds the key files. */
  dir: string;
  baseCommit: string;
}

/** The key (hex SHA-256) and the files that went into it, with their git blob ids. */
export interface EnvironmentKey {
  key: string;
  files: { path: string; blob: string }[];
}

/** Computes the key from the tracked files at the base commit (blob ids: no file is read). */
export async function environmentKey(
  input: EnvironmentKeyInput,
): Promise<EnvironmentKey> {
  const listing = await git(
    ["ls-tree", "-r", "-z", "--full-tree", input.baseCommit],
    { cwd: input.dir },
  );
  const matches = keyMatcher(input.cacheKey);
  const files: EnvironmentKey["files"] = [];
  for (const line of listing.stdout.split("\0")) {
    // "<mode> <type> <object>\t<path>"
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const [, type, blob] = line.slice(0, tab).split(" ");
    const path = line.slice(tab + 1);
    if (type === "blob" && blob && matches(path)) files.push({ path, blob });
  }
  files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const material = JSON.stringify({
    format: FORMAT,
    repo: remoteAccess(input.repo).url,
    setup_commands: input.setupCommands,
    cache_key: input.cacheKey,
    env: Object.entries(input.env).sort(([a], [b]) => a < b ? -1 : 1),
    mount_at: input.mountAt,
    files,
  });
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(material),
  );
  const key = Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return { key, files };
}

/** Named globs match from the repo root; default lockfiles match by name anywhere (monorepos). */
function keyMatcher(
  cacheKey: readonly string[] | null,
): (p: string) => boolean {
  if (cacheKey !== null) return picomatch([...cacheKey], { dot: true });
  const byName = picomatch([...DEFAULT_CACHE_KEY_FILES], { basename: true });
  return (path) => !path.split("/").includes("node_modules") && byName(path);
}
