/** What a remote repository holds, asked without fetching: its branches and its default branch. */
import {
  GUARD_ALL,
  guardedRemoteEnv,
  type RepoAddressPolicy,
} from "./address_guard.ts";
import type { GitCredentials } from "./credentials.ts";
import { remoteFailure } from "./errors.ts";
import { Redactor } from "../redact.ts";
import { git, type GitResult, type RemoteAccess, remoteAccess } from "./run.ts";

/** Where a remote is and how to reach it. */
export interface RemoteTarget {
  repo: string;
  credentials?: GitCredentials | null;
  /** Which hosts may resolve to private addresses (default: none). */
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
}

/** How to talk to a remote: its credential-free URL, and the options every git command that does takes. */
export interface RemoteGit {
  access: RemoteAccess;
  /** The guarded environment (auth header, pinned addresses), the signal, the secrets to scrub. */
  options: {
    env: Record<string, string>;
    signal: AbortSignal | undefined;
    secrets: string[];
    allowFailure: true;
  };
}

/**
 * Parses `target.repo` once into its URL and auth, and checks (and pins) its
 * address: everything a fetch, push or ls-remote needs. Throws the GitError
 * of a refused host or of a credential that would go over plain http.
 */
export async function remoteGit(target: RemoteTarget): Promise<RemoteGit> {
  const access = remoteAccess(target.repo, target.credentials);
  return {
    access,
    options: {
      env: await guardedRemoteEnv(
        target.repo,
        target.addressPolicy ?? GUARD_ALL,
        access.env,
      ),
      signal: target.signal,
      secrets: target.credentials?.secrets() ?? [],
      allowFailure: true,
    },
  };
}

/** Runs `git ls-remote <args> <url> <patterns>` against the guarded remote; throws the GitError naming what failed. */
async function lsRemote(
  target: RemoteTarget,
  args: string[],
  patterns: string[],
): Promise<string> {
  const { access, options } = await remoteGit(target);
  const result: GitResult = await git(
    ["ls-remote", ...args, "--", access.url, ...patterns],
    options,
  );
  if (result.code !== 0) {
    throw remoteFailure({
      op: "fetch",
      repo: access.url,
      host: access.host,
      credentialSource: access.credentialSource,
      output: new Redactor(options.secrets).redact(
        `${result.stderr}\n${result.stdout}`,
      ),
    });
  }
  return result.stdout;
}

/**
 * The remote's branches (name → commit). With `only`, just that branch (an
 * empty map when it does not exist): ls-remote matches patterns on a ref's
 * tail, so the result is filtered to the exact name.
 */
export async function remoteBranches(
  target: RemoteTarget & { only?: string },
): Promise<Map<string, string>> {
  const out = await lsRemote(
    target,
    ["--heads"],
    target.only === undefined ? [] : [`refs/heads/${target.only}`],
  );
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const match = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(line);
    if (!match) continue;
    const [, sha = "", name = ""] = match;
    if (target.only === undefined || name === target.only) {
      heads.set(name, sha);
    }
  }
  return heads;
}

/** The branch the remote's HEAD points at (`git ls-remote --symref URL HEAD`), or null when it says none. */
export async function remoteDefaultBranch(
  target: RemoteTarget,
): Promise<string | null> {
  const out = await lsRemote(target, ["--symref"], ["HEAD"]);
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  return match?.[1] ?? null;
}
