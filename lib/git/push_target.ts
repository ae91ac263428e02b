/**
 * Which branch a run pushes to, decided before the first model call so a
 * collision costs no tokens: `push_mode` says what an existing branch means.
 */
import { redactUrl } from "../redact.ts";
import { GitError } from "./errors.ts";
import { remoteBranches, remoteGit, type RemoteTarget } from "./remote.ts";
import { git } from "./run.ts";

/** The work order's `push_mode` values. */
export const PUSH_MODES = ["new", "update", "suffix"] as const;

/** `new` refuses an existing branch; `update` pushes on top of it when it is an ancestor; `suffix` picks `<branch>-2`, `-3`… */
export type PushMode = typeof PUSH_MODES[number];

/** The most suffixes tried before giving up (`-2` … `-100`). */
const MAX_SUFFIX = 100;

/** The branch chosen and what it held when checked. */
export interface PushTarget {
  branch: string;
  /** The remote branch's commit when it exists (mode `update`), else null. */
  existing: string | null;
}

/**
 * Checks `branch` on the remote against `mode` and returns the branch to push
 * to. Throws a GitError "push_conflict" whose message names the branch and the
 * remedies when the work order's mode refuses what the remote holds. `dir` is
 * a checkout holding `baseCommit`, where the remote tip is fetched (when
 * missing) to test ancestry.
 */
export async function choosePushTarget(
  opts: RemoteTarget & {
    branch: string;
    mode: PushMode;
    baseCommit: string;
    dir: string;
  },
): Promise<PushTarget> {
  const { branch, mode } = opts;
  const repo = redactUrl(opts.repo);
  if (mode === "suffix") {
    const heads = await remoteBranches(opts);
    if (!heads.has(branch)) return { branch, existing: null };
    for (let n = 2; n <= MAX_SUFFIX; n++) {
      const candidate = `${branch}-${n}`;
      if (!heads.has(candidate)) return { branch: candidate, existing: null };
    }
    throw new GitError(
      `Branches '${branch}' and '${branch}-2' … '${branch}-${MAX_SUFFIX}' all exist on '${repo}' (push_mode: suffix): delete some or choose another push_branch`,
      "push_conflict",
    );
  }
  const tip = (await remoteBranches({ ...opts, only: branch })).get(branch);
  if (tip === undefined) return { branch, existing: null };
  if (mode === "new") {
    throw new GitError(
      `Branch '${branch}' already exists on '${repo}' and the work order says push_mode: new: ` +
        `delete the branch, choose another push_branch, or set push_mode: update (push on top when the branch is an ancestor of the base) or push_mode: suffix (push to '${branch}-2')`,
      "push_conflict",
    );
  }
  if (await isAncestor({ ...opts, ancestor: tip, of: opts.baseCommit })) {
    return { branch, existing: tip };
  }
  throw new GitError(
    `Branch '${branch}' already exists on '${repo}' at ${
      tip.slice(0, 12)
    }, which is not an ancestor of this run's base commit ${
      opts.baseCommit.slice(0, 12)
    }, so pushing on top of it would need a force push (AOS never force-pushes; push_mode: update): ` +
      `merge or delete the branch, choose another push_branch, set clone_branch to '${branch}' to build on it, or set push_mode: suffix (push to '${branch}-2')`,
    "push_conflict",
  );
}

/**
 * Whether `ancestor` is an ancestor of (or equal to) `of` in `dir`, fetching
 * `branch` (the one that holds the other commit) from the remote first when
 * either is not there yet.
 */
export async function isAncestor(
  opts: RemoteTarget & {
    dir: string;
    branch: string;
    ancestor: string;
    of: string;
  },
): Promise<boolean> {
  const missing = async (sha: string) =>
    (await git(["cat-file", "-e", `${sha}^{commit}`], {
      cwd: opts.dir,
      allowFailure: true,
    })).code !== 0;
  if (await missing(opts.ancestor) || await missing(opts.of)) {
    const { access, options } = await remoteGit(opts);
    await git(
      [
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        access.url,
        `refs/heads/${opts.branch}`,
      ],
      { ...options, cwd: opts.dir },
    );
  }
  const result = await git(
    ["merge-base", "--is-ancestor", opts.ancestor, opts.of],
    { cwd: opts.dir, allowFailure: true },
  );
  // 1 is "no"; anything else (the object still missing) is a "no" too: never push over what cannot be checked.
  return result.code === 0;
}
