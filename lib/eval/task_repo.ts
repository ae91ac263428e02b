/**
 * A task's repository for one attempt: the `repo/` folder committed on
 * `main` of a fresh bare repository, so every attempt starts from the same
 * commit and pushes where no other attempt does. The result is then
 * checked out fresh for the hidden check.
 */
import { join } from "node:path";
import { git } from "../git/mod.ts";

/** The fixed identity and date of a task's seed commit: the same files give the same commit. */
const SEED_ENV = {
  GIT_AUTHOR_NAME: "AOS eval",
  GIT_AUTHOR_EMAIL: "eval@aos.invalid",
  GIT_COMMITTER_NAME: "AOS eval",
  GIT_COMMITTER_EMAIL: "eval@aos.invalid",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
};

/** Options of createTaskRepo(). */
export interface TaskRepoOptions {
  /** The task's `repo/` folder. */
  sourceDir: string;
  /** Where the bare repository is created (must not exist yet). */
  bareDir: string;
}

/**
 * Commits every file of `sourceDir` (its .gitignore honoured) on `main` of
 * a new bare repository at `bareDir`; returns the commit id.
 */
export async function createTaskRepo(opts: TaskRepoOptions): Promise<string> {
  await git(["init", "--bare", "--quiet", "-b", "main", opts.bareDir]);
  // The folder is the work tree of the bare repository: nothing is copied,
  // and the index is removed after so the repository is plainly bare.
  const run = (...args: string[]) =>
    git(["--git-dir", opts.bareDir, "--work-tree", opts.sourceDir, ...args], {
      env: SEED_ENV,
    });
  await run("add", "--all", ".");
  await run("commit", "--quiet", "--no-verify", "-m", "Task repository");
  await Deno.remove(join(opts.bareDir, "index")).catch(() => {});
  const { stdout } = await git([
    "--git-dir",
    opts.bareDir,
    "rev-parse",
    "HEAD",
  ]);
  return stdout.trim();
}

/** Options of checkoutResult(). */
export interface CheckoutOptions {
  /** The repository the run pushed to (a path or URL git can clone). */
  repo: string;
  /** The branch holding the run's result. */
  branch: string;
  /** Where to check it out (must not exist yet). */
  dir: string;
  signal?: AbortSignal;
}

/** Clones `branch` of `repo` into `dir` (hooks off, no user config); returns its commit id. */
export async function checkoutResult(opts: CheckoutOptions): Promise<string> {
  await git([
    "clone",
    "--quiet",
    "--no-hardlinks",
    "--single-branch",
    "--branch",
    opts.branch,
    "--",
    opts.repo,
    opts.dir,
  ], { signal: opts.signal });
  const { stdout } = await git(["-C", opts.dir, "rev-parse", "HEAD"]);
  return stdout.trim();
}
