/** The deterministic commit of a run's result and its push (never forced). */
import type { RepoAddressPolicy } from "./address_guard.ts";
import type { GitCredentials } from "./credentials.ts";
import { remoteFailure } from "./errors.ts";
import { Redactor, redactUrl } from "../redact.ts";
import { git, GitError } from "./run.ts";
import { remoteBranches, remoteGit } from "./remote.ts";
import { isAncestor, type PushMode } from "./push_target.ts";

/** Author and committer of AOS's commits unless AOS_GIT_AUTHOR_NAME / _EMAIL say otherwise. */
export const DEFAULT_GIT_AUTHOR: GitAuthor = {
  name: "AOS",
  email: "aos@localhost",
};

/** Who AOS's commits are by. */
export interface GitAuthor {
  name: string;
  email: string;
}

/**
 * Commits the working tree on top of `baseCommit` and pushes it to
 * `refs/heads/<branch>` (no push when `branch` is null). Author, committer and
 * date are inputs (the run's author and its start time), so redoing this
 * after a crash yields the same SHA and the repeated push is a no-op. With no
 * changes the base commit itself is the result.
 *
 * The push re-checks the branch (another writer may have created or moved it
 * since the run chose it): a branch already at the commit, or past it, counts
 * as pushed; `new` and `suffix` push only while the branch does not exist
 * (`--force-with-lease=<ref>:`, checked by the remote as it updates the ref);
 * `update` pushes a fast-forward, never a force.
 */
export async function commitAndPush(opts: {
  dir: string;
  baseCommit: string;
  branch: string | null;
  message: string;
  repo: string;
  credentials?: GitCredentials | null;
  /** Which hosts may resolve to private addresses (default: none). */
  addressPolicy?: RepoAddressPolicy;
  signal?: AbortSignal;
  /** Author and committer (default DEFAULT_GIT_AUTHOR). */
  author?: GitAuthor;
  /** Author and commit date (the run's start); default the base commit's committer date. */
  date?: Date;
  /** What an existing branch means at push time (default `update`). */
  mode?: PushMode;
}): Promise<{ commit: string; pushed: boolean }> {
  const { dir, baseCommit } = opts;
  const signal = opts.signal;
  const author = opts.author ?? DEFAULT_GIT_AUTHOR;
  if (opts.branch !== null) await checkBranchName(opts.branch);
  await git(["add", "--all", "--", "."], { cwd: dir, signal });
  const tree = (await git(["write-tree"], { cwd: dir })).stdout.trim();
  const baseTree =
    (await git(["rev-parse", `${baseCommit}^{tree}`], { cwd: dir })).stdout
      .trim();
  let commit = baseCommit;
  if (tree !== baseTree) {
    const when = opts.date
      ? Math.floor(opts.date.getTime() / 1000)
      : (await git(["show", "-s", "--format=%ct", baseCommit], { cwd: dir }))
        .stdout.trim();
    const date = `${when} +0000`;
    const result = await git(
      [
        "commit-tree",
        "--no-gpg-sign",
        tree,
        "-p",
        baseCommit,
        "-m",
        opts.message,
      ],
      {
        cwd: dir,
        env: {
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: author.name,
          GIT_COMMITTER_EMAIL: author.email,
          GIT_COMMITTER_DATE: date,
        },
      },
    );
    commit = result.stdout.trim();
    await git(["update-ref", "--no-deref", "HEAD", commit], { cwd: dir });
  }
  if (opts.branch === null) return { commit, pushed: false };

  const branch = opts.branch;
  const mode = opts.mode ?? "update";
  const tip = (await remoteBranches({ ...opts, only: branch })).get(branch);
  if (tip !== undefined) {
    const there = tip === commit ||
      await isAncestor({ ...opts, branch, ancestor: commit, of: tip });
    if (there) return { commit, pushed: true };
    if (mode !== "update") {
      throw new GitError(
        `Branch '${branch}' was created on '${
          redactUrl(opts.repo)
        }' by someone else after this run checked it (push_mode: ${mode}); AOS never force-pushes: the commit ${
          commit.slice(0, 12)
        } was not pushed`,
        "push_conflict",
      );
    }
  }
  const { access, options } = await remoteGit(opts);
  const args = [
    "push",
    "--quiet",
    "--no-verify",
    "--porcelain",
    ...(mode === "update" ? [] : [`--force-with-lease=refs/heads/${branch}:`]),
    access.url,
    `${commit}:refs/heads/${branch}`,
  ];
  const result = await git(args, { ...options, cwd: dir });
  if (
    result.code !== 0 && mode !== "update" && /stale info/.test(result.stdout)
  ) {
    throw new GitError(
      `Branch '${branch}' was created on '${
        redactUrl(opts.repo)
      }' by someone else while this run pushed (push_mode: ${mode}); AOS never force-pushes: the commit ${
        commit.slice(0, 12)
      } was not pushed`,
      "push_conflict",
    );
  }
  if (result.code !== 0) {
    const redactor = new Redactor(options.secrets);
    throw remoteFailure({
      op: "push",
      repo: access.url,
      host: access.host,
      credentialSource: access.credentialSource,
      branch,
      output: redactor.redact(`${result.stdout}\n${result.stderr}`),
    });
  }
  return { commit, pushed: true };
}

/** Throws a GitError unless `branch` is a valid branch name. */
async function checkBranchName(branch: string): Promise<void> {
  const result = await git(["check-ref-format", "--branch", branch], {
    allowFailure: true,
  });
  if (branch.startsWith("-") || result.code !== 0) {
    throw new GitError(`Invalid branch name '${branch}'`);
  }
}
