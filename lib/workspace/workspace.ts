/** Run workspaces: cheap checkouts from a mirror, packet application, diffs, reset. */
import { dirname, join, resolve } from "node:path";
import { git, GitError, mirrorCommit, remoteAccess } from "../git/mod.ts";
import { withLock } from "../lock.ts";
import type { GitCredentials, RepoAddressPolicy } from "../git/mod.ts";
import { checkWritable, type PathPolicy, resolveInside } from "./paths.ts";
import { writeRegularFile } from "./regular_file.ts";

export { commitAndPush, ensureMirror, GitError } from "../git/mod.ts";

/** Run ids become directory names; anything else could escape the workspace root. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function workspaceDir(root: string, runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new TypeError(`Invalid run id '${runId}' for a workspace directory`);
  }
  return join(resolve(root), runId);
}

/**
 * Checks out `ref` of `repo` at `${root}/${runId}` (detached, clean) via the
 * mirror in `${root}/.cache`. A workspace already prepared for the same repo and
 * ref is reused without touching the network, so the base commit stays fixed
 * for the whole run even if the branch moves upstream.
 */
export async function prepareWorkspace(opts: {
  root: string;
  runId: string;
  repo: string;
  ref: string;
  /** Per-host credentials (AOS_GIT_CREDENTIALS, GITHUB_TOKEN). */
  credentials?: GitCredentials | null;
  /** AOS_REPO_ALLOW_PRIVATE / AOS_REPO_ALLOWLIST: hosts that may resolve to private addresses (default: none). */
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
}): Promise<{ dir: string; baseCommit: string }> {
  const dir = workspaceDir(opts.root, opts.runId);
  // Whitespace covers control characters too: \s plus anything below a space.
  if (
    opts.ref === "" || opts.ref.startsWith("-") || /[\s\p{Cc}]/u.test(opts.ref)
  ) {
    throw new GitError(`Invalid ref '${opts.ref}'`);
  }
  const url = remoteAccess(opts.repo).url;
  return await withLock(dir, async () => {
    const reused = await existingBase(dir, url, opts.ref);
    if (reused) {
      await resetWorkspace(dir, reused);
      return { dir, baseCommit: reused };
    }
    const { mirror, sha } = await mirrorCommit({
      cacheDir: join(resolve(opts.root), ".cache"),
      repo: opts.repo,
      ref: opts.ref,
      credentials: opts.credentials ?? null,
      ...(opts.addressPolicy ? { addressPolicy: opts.addressPolicy } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dirname(dir), { recursive: true });
    const signal = opts.signal;
    await git([
      "clone",
      "--shared",
      "--no-checkout",
      "--quiet",
      "--",
      mirror,
      dir,
    ], { signal });
    await git(["remote", "set-url", "origin", url], { cwd: dir });
    await git(["config", "aos.ref", opts.ref], { cwd: dir });
    await git(["update-ref", "refs/aos/base", sha], { cwd: dir });
    await git(["checkout", "--quiet", "--force", "--detach", sha], {
      cwd: dir,
      signal,
    });
    return { dir, baseCommit: sha };
  });
}

/** The recorded base commit of a usable workspace for (url, ref), or null. */
async function existingBase(
  dir: string,
  url: string,
  ref: string,
): Promise<string | null> {
  try {
    await Deno.stat(join(dir, ".git"));
  } catch {
    return null;
  }
  const read = async (args: string[]) => {
    const result = await git(args, { cwd: dir, allowFailure: true });
    return result.code === 0 ? result.stdout.trim() : null;
  };
  if (await read(["config", "remote.origin.url"]) !== url) return null;
  const base = await read([
    "rev-parse",
    "--verify",
    "--quiet",
    "refs/aos/base^{commit}",
  ]);
  if (base === null) return null;
  // Same ref as when prepared, or the base commit itself named by its SHA.
  const sameRef = await read(["config", "aos.ref"]) === ref ||
    base === ref.toLowerCase();
  return sameRef ? base : null;
}

/** Puts the workspace back at `baseCommit`: tracked files reset, everything untracked removed. */
export async function resetWorkspace(
  dir: string,
  baseCommit: string,
): Promise<void> {
  await git(["reset", "--hard", "--quiet", baseCommit], { cwd: dir });
  await git(["clean", "-ffdxq"], { cwd: dir });
  await removeSpecialFiles(dir);
}

/**
 * Deletes FIFOs, sockets and device nodes under `dir` (outside `.git`): git
 * neither tracks nor cleans them, and one a command left behind would block
 * the next write to its path or make `git add` fail.
 */
async function removeSpecialFiles(dir: string): Promise<void> {
  const found = await new Deno.Command("find", {
    args: [
      ".",
      "-path",
      "./.git",
      "-prune",
      "-o",
      "(",
      "-type",
      "p",
      "-o",
      "-type",
      "s",
      "-o",
      "-type",
      "c",
      "-o",
      "-type",
      "b",
      ")",
      "-print0",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!found.success) {
    throw new Error(
      `Could not list special files in '${dir}': ${
        new TextDecoder().decode(found.stderr).trim()
      }`,
    );
  }
  for (const rel of new TextDecoder().decode(found.stdout).split("\0")) {
    if (rel) await Deno.remove(join(dir, rel));
  }
}

/** Applies an SE packet (deletes, then writes) to the workspace; paths breaking the policy are skipped. */
export async function applyPacket(
  dir: string,
  packet: { writes: { path: string; content: string }[]; deletes: string[] },
  policy: PathPolicy,
): Promise<{ applied: number; rejected: { path: string; reason: string }[] }> {
  let applied = 0;
  const rejected: { path: string; reason: string }[] = [];
  const reject = (path: string, error: unknown) =>
    rejected.push({
      path,
      reason: error instanceof Error ? error.message : String(error),
    });
  for (const path of packet.deletes) {
    try {
      const target = await resolveInside(dir, checkWritable(path, policy), {
        forDelete: true,
      });
      const info = await Deno.lstat(target).catch(() => null);
      if (info?.isDirectory) {
        throw new Error(`Path '${path}' is a directory, not a file`);
      }
      // Deleting a file that is already gone leaves the same state: count it as applied.
      if (info) await Deno.remove(target);
      applied++;
    } catch (error) {
      reject(path, error);
    }
  }
  for (const write of packet.writes) {
    try {
      const rel = checkWritable(write.path, policy);
      const target = await resolveInside(dir, rel, { forWrite: true });
      await Deno.mkdir(dirname(target), { recursive: true });
      // mkdir may have created directories; a racing symlink would show up here.
      await resolveInside(dir, rel, { forWrite: true });
      // A FIFO or socket a command left at the path would block or fail the write.
      await writeRegularFile(target, write.content, {
        path: rel,
        replaceSpecial: true,
      });
      applied++;
    } catch (error) {
      reject(write.path, error);
    }
  }
  return { applied, rejected };
}

/**
 * The full binary-safe diff of the working tree (untracked files included,
 * ignored ones not) against `baseCommit`. Uses a throwaway index, so the
 * workspace's own index is left as it was.
 */
export async function diffWorkspace(
  dir: string,
  baseCommit: string,
): Promise<string> {
  const gitDir = (await git(["rev-parse", "--absolute-git-dir"], { cwd: dir }))
    .stdout.trim();
  const index = join(gitDir, `aos-diff-index-${crypto.randomUUID()}`);
  try {
    // Starting from the real index keeps its stat cache: only changed files get hashed.
    await Deno.copyFile(join(gitDir, "index"), index).catch(() => {});
    const env = { GIT_INDEX_FILE: index };
    await git(["add", "--all", "--", "."], { cwd: dir, env });
    const result = await git(
      [
        "diff",
        "--cached",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        baseCommit,
        "--",
      ],
      { cwd: dir, env },
    );
    return result.stdout;
  } finally {
    await Deno.remove(index).catch(() => {});
  }
}

/** Deletes the workspace of a run and the SE's working copy beside it (a no-op when gone). */
export async function removeWorkspace(
  root: string,
  runId: string,
): Promise<void> {
  // `<run-id>.se` is the SE's working copy, `<run-id>.se-K` attempt K's
  // (working_copy_prepare.ts; attempts are 1-4).
  const own = workspaceDir(root, runId);
  const copies = ["", "-1", "-2", "-3", "-4"].map((k) => `${own}.se${k}`);
  for (const dir of [own, ...copies]) {
    await withLock(dir, async () => {
      await Deno.remove(dir, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    });
  }
}
