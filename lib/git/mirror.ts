/** A bare mirror per repository URL, shared by every run on that repository. */
import { join, resolve } from "node:path";
import { Redactor, redactUrl } from "../redact.ts";
import type { GitCredentials } from "./credentials.ts";
import type { RepoAddressPolicy } from "./address_guard.ts";
import { remoteFailure } from "./errors.ts";
import { remoteDefaultBranch, remoteGit } from "./remote.ts";
import { git, GitError, type GitResult, remoteAccess } from "./run.ts";
import { withLock } from "../lock.ts";

/** The mirror directory of `repo` under `cacheDir` (named by the SHA-256 of its credential-free URL). */
export async function mirrorDir(
  cacheDir: string,
  repo: string,
): Promise<string> {
  const { url } = remoteAccess(repo);
  cacheDir = resolve(cacheDir);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(url),
  );
  const hex = Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return join(cacheDir, hex);
}

/**
 * Brings the mirror of `repo` up to date and returns its path: `git clone --mirror`
 * the first time (into a temp dir, then renamed), `git fetch --prune` afterwards.
 * Serialized per repository within the process (a promise chain) and across
 * processes (an flock on a lock file beside the mirror). Concurrent callers
 * share fetches: a caller whose turn comes after a fetch that *started* after
 * its own request uses that fetch instead of making another (so a burst of
 * runs on one repository costs about two fetches, not one each), and is still
 * never served a mirror older than its request.
 */
export async function ensureMirror(opts: {
  cacheDir: string;
  repo: string;
  credentials?: GitCredentials | null;
  /** Which hosts may resolve to private addresses (default: none). */
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
}): Promise<string> {
  const requestedAt = Date.now();
  const cacheDir = resolve(opts.cacheDir);
  const dir = await mirrorDir(cacheDir, opts.repo);
  return await withLock(dir, async () => {
    await Deno.mkdir(cacheDir, { recursive: true });
    const lockFile = await Deno.open(`${dir}.lock`, {
      create: true,
      write: true,
    });
    try {
      await lockFile.lock(true);
      const lastFetchStart = await readFetchStart(dir);
      if (
        lastFetchStart === null || lastFetchStart < requestedAt ||
        !(await isBareRepo(dir))
      ) {
        const startedAt = Date.now();
        await update(dir, { ...opts, cacheDir });
        await Deno.writeTextFile(fetchMarker(dir), String(startedAt));
      }
    } finally {
      lockFile.close();
    }
    await noteMirrorUse(dir);
    return dir;
  });
}

/** Marks the mirror as used now (the cache bound evicts least recently used mirrors first). */
export async function noteMirrorUse(dir: string): Promise<void> {
  const now = new Date();
  await Deno.utime(dir, now, now).catch(() => {});
}

/** Beside each mirror: when its last successful fetch (or clone) started, in ms. */
export function fetchMarker(dir: string): string {
  return `${dir}.fetched`;
}

async function readFetchStart(dir: string): Promise<number | null> {
  try {
    const ms = Number(await Deno.readTextFile(fetchMarker(dir)));
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

async function update(dir: string, opts: {
  cacheDir: string;
  repo: string;
  credentials?: GitCredentials | null;
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
}): Promise<void> {
  const { access, options: common } = await remoteGit(opts);
  /** Throws the GitError that says what went wrong talking to the remote. */
  const check = (result: GitResult) => {
    if (result.code === 0) return;
    const output = `${result.stderr}\n${result.stdout}`;
    throw remoteFailure({
      op: "fetch",
      repo: access.url,
      host: access.host,
      credentialSource: access.credentialSource,
      // Secrets are scrubbed even though git never prints the header value.
      output: new Redactor(common.secrets).redact(output),
    });
  };
  if (await isBareRepo(dir)) {
    // The URL is set each time so a mirror never keeps a stale or credentialed one.
    await git(["config", "remote.origin.url", access.url], { cwd: dir });
    check(
      await git(["fetch", "--prune", "--quiet", "origin"], {
        ...common,
        cwd: dir,
      }),
    );
    return;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const tmp = `${dir}.tmp-${crypto.randomUUID()}`;
  try {
    check(
      await git(["clone", "--mirror", "--quiet", "--", access.url, tmp], {
        ...common,
        cwd: opts.cacheDir,
      }),
    );
    try {
      await Deno.rename(tmp, dir);
    } catch (error) {
      // Another process without flock support got there first: use its mirror.
      if (!(await isBareRepo(dir))) throw error;
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

async function isBareRepo(dir: string): Promise<boolean> {
  try {
    await Deno.stat(join(dir, "HEAD"));
  } catch {
    return false;
  }
  const result = await git(["rev-parse", "--is-bare-repository"], {
    cwd: dir,
    allowFailure: true,
  });
  return result.code === 0 && result.stdout.trim() === "true";
}

/**
 * The commit `ref` names in the repository's mirror, and the mirror: a full
 * SHA the mirror already has needs no fetch; anything else fetches (shared
 * with concurrent callers) and resolves. GitError "ref_not_found" when the
 * repository has no such branch, tag or commit.
 */
export async function mirrorCommit(opts: {
  cacheDir: string;
  repo: string;
  ref: string;
  credentials: GitCredentials | null;
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
}): Promise<{ mirror: string; sha: string }> {
  let mirror = await mirrorDir(opts.cacheDir, opts.repo);
  let sha = /^[0-9a-f]{40}$/i.test(opts.ref)
    ? await resolveRef(mirror, opts.ref)
    : null;
  if (sha) await noteMirrorUse(mirror);
  else {
    mirror = await ensureMirror({
      cacheDir: opts.cacheDir,
      repo: opts.repo,
      credentials: opts.credentials,
      ...(opts.addressPolicy ? { addressPolicy: opts.addressPolicy } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    sha = await resolveRef(mirror, opts.ref);
  }
  if (!sha) {
    const host = remoteAccess(opts.repo).host;
    const fallback = await defaultBranch(opts, mirror);
    throw new GitError(
      `Branch or commit '${opts.ref}' not found in repository '${
        redactUrl(opts.repo)
      }'${host ? ` on host '${host}'` : ""}${
        fallback && fallback !== opts.ref
          ? `: its default branch is '${fallback}' (set clone_branch: ${fallback})`
          : ""
      }`,
      "ref_not_found",
    );
  }
  return { mirror, sha };
}

/**
 * The remote's default branch, for the message of a missing ref: asked of the
 * remote (`ls-remote --symref`), else the mirror's HEAD; null when neither says.
 */
async function defaultBranch(
  opts: {
    repo: string;
    credentials: GitCredentials | null;
    addressPolicy?: RepoAddressPolicy;
    signal?: AbortSignal;
  },
  mirror: string,
): Promise<string | null> {
  try {
    const named = await remoteDefaultBranch(opts);
    if (named) return named;
  } catch { /* the mirror may still know */ }
  const head = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], {
    cwd: mirror,
    allowFailure: true,
  }).catch(() => null);
  return head?.code === 0 ? head.stdout.trim() || null : null;
}

/** The commit `ref` names in `repoDir` (branch, tag, full or short SHA), or null. */
async function resolveRef(
  repoDir: string,
  ref: string,
): Promise<string | null> {
  try {
    await Deno.stat(repoDir);
  } catch {
    return null;
  }
  const candidates = [
    `refs/heads/${ref}`,
    `refs/tags/${ref}`,
    `refs/remotes/origin/${ref}`,
    ref,
  ];
  for (const candidate of candidates) {
    const result = await git([
      "rev-parse",
      "--verify",
      "--quiet",
      `${candidate}^{commit}`,
    ], {
      cwd: repoDir,
      allowFailure: true,
    });
    if (result.code === 0) return result.stdout.trim();
  }
  return null;
}
