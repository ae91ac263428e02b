/** The deterministic commit of a run's result and its push (never forced). */
import {
  GUARD_ALL,
  guardedRemoteEnv,
  type RepoAddressPolicy,
} from "./address_guard.ts";
import type { GitCredentials } from "./credentials.ts";
import { remoteFailure } from "./errors.ts";
import { Redactor } from "../redact.ts";
import { git, GitError, remoteAccess } from "./run.ts";

/** Author and committer of every AOS commit. */
const IDENTITY = { name: "AOS", email: "aos@localhost" };

/**
 * Commits the working tree on top of `baseCommit` and pushes it to
 * `refs/heads/<branch>` (no push when `branch` is null). Author, committer and
 * dates are fixed (the dates are the base commit's committer date), so redoing
 * this after a crash yields the same SHA and the repeated push is a no-op.
 * With no changes the base commit itself is the result.
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
}): Promise<{ commit: string; pushed: boolean }> {
  const { dir, baseCommit } = opts;
  const signal = opts.signal;
  if (opts.branch !== null) await checkBranchName(opts.branch);
  await git(["add", "--all", "--", "."], { cwd: dir, signal });
  const tree = (await git(["write-tree"], { cwd: dir })).stdout.trim();
  const baseTree =
    (await git(["rev-parse", `${baseCommit}^{tree}`], { cwd: dir })).stdout
      .trim();
  let commit = baseCommit;
  if (tree !== baseTree) {
    const when =
      (await git(["show", "-s", "--format=%ct", baseCommit], { cwd: dir }))
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
          GIT_AUTHOR_NAME: IDENTITY.name,
          GIT_AUTHOR_EMAIL: IDENTITY.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: IDENTITY.name,
          GIT_COMMITTER_EMAIL: IDENTITY.email,
          GIT_COMMITTER_DATE: date,
        },
      },
    );
    commit = result.stdout.trim();
    await git(["update-ref", "--no-deref", "HEAD", commit], { cwd: dir });
  }
  if (opts.branch === null) return { commit, pushed: false };

  const access = remoteAccess(opts.repo, opts.credentials);
  const args = [
    "push",
    "--quiet",
    "--no-verify",
    "--porcelain",
    access.url,
    `${commit}:refs/heads/${opts.branch}`,
  ];
  const result = await git(args, {
    cwd: dir,
    env: await guardedRemoteEnv(
      opts.repo,
      opts.addressPolicy ?? GUARD_ALL,
      access.env,
    ),
    signal,
    allowFailure: true,
  });
  if (result.code !== 0) {
    const redactor = new Redactor(opts.credentials?.secrets() ?? []);
    throw remoteFailure({
      op: "push",
      repo: access.url,
      host: access.host,
      credentialSource: access.credentialSource,
      branch: opts.branch,
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
