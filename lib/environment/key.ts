/**
 * The key of a cached environment. Setup runs the repository's own code (a
 * `setup.py`, a `package.json` script), so whatever it could read must be in
 * the key, or another branch's setup could leave a poisoned environment that a
 * run on `main` restores. By default that is the whole tree of the base
 * commit; `setup_cache_key` is the work order's explicit promise that the
 * files it names are all setup reads, and it shares only within one
 * `clone_branch`.
 */
import { compileGlob } from "../glob/mod.ts";
import { git, remoteAccess } from "../git/mod.ts";

/** Bumped when the layout or keying of a cached environment changes, so old entries are never reused. */
const FORMAT = "aos-env-2";

/** What an environment is keyed by. */
export interface EnvironmentKeyInput {
  repo: string;
  /** The work order's `clone_branch`: a named key is shared only between runs of the same one. */
  cloneBranch: string;
  setupCommands: readonly string[];
  /** Globs from `setup_cache_key`, or null to key by the base commit's whole tree. */
  cacheKey: readonly string[] | null;
  /** The work order's env: a different NODE_ENV or index URL installs something else. */
  env: Record<string, string>;
  /** Names of the AOS_SECRETS setup got (`setup_secrets`); never their values. */
  setupSecrets?: readonly string[];
  /** Where setup ran inside the sandbox: venvs and editable installs bake it in. */
  mountAt: string;
  /** A checkout whose `baseCommit` holds the key files. */
  dir: string;
  baseCommit: string;
}

/** The key (hex SHA-256) and what went into it: the tree id, or the named files with their blob ids. */
export interface EnvironmentKey {
  key: string;
  /** The base commit's tree id when the whole tree keys the environment, else null. */
  tree: string | null;
  files: { path: string; blob: string }[];
}

/** Computes the key from git object ids at the base commit (no file is read). */
export async function environmentKey(
  input: EnvironmentKeyInput,
): Promise<EnvironmentKey> {
  const tree = input.cacheKey === null
    ? await treeId(input.dir, input.baseCommit)
    : null;
  const files = input.cacheKey === null
    ? []
    : await namedFiles(input.dir, input.baseCommit, input.cacheKey);
  const material = JSON.stringify({
    format: FORMAT,
    repo: remoteAccess(input.repo).url,
    setup_commands: input.setupCommands,
    cache_key: input.cacheKey,
    env: Object.entries(input.env).sort(([a], [b]) => a < b ? -1 : 1),
    mount_at: input.mountAt,
    ...(input.setupSecrets?.length
      ? { setup_secrets: [...input.setupSecrets].sort() }
      : {}),
    ...(tree === null ? { clone_branch: input.cloneBranch, files } : { tree }),
  });
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(material),
  );
  const key = Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return { key, tree, files };
}

/** The id of `commit`'s root tree: equal trees, equal content, whatever the commit. */
async function treeId(dir: string, commit: string): Promise<string> {
  const out = await git(
    ["rev-parse", "--verify", "--end-of-options", `${commit}^{tree}`],
    { cwd: dir },
  );
  return out.stdout.trim();
}

/** The tracked files at `commit` matching the globs (from the repo root), sorted, with blob ids. */
async function namedFiles(
  dir: string,
  commit: string,
  globs: readonly string[],
): Promise<EnvironmentKey["files"]> {
  const listing = await git(
    ["ls-tree", "-r", "-z", "--full-tree", commit],
    { cwd: dir },
  );
  const matches = compileGlob(globs);
  const files: EnvironmentKey["files"] = [];
  for (const line of listing.stdout.split("\0")) {
    // "<mode> <type> <object>\t<path>"
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const [, type, blob] = line.slice(0, tab).split(" ");
    const path = line.slice(tab + 1);
    if (type === "blob" && blob && matches(path)) files.push({ path, blob });
  }
  return files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
