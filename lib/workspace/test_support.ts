/** Test support: real git repositories and working copies in temp dirs (imported by tests only). */
import { join } from "node:path";
import { runCommand } from "../../tests/support/command.ts";
import { WorkingCopy, type WorkingCopyOptions } from "./working_copy.ts";
import type { Packet } from "./pending.ts";
import type { PathPolicy } from "./paths.ts";
import { writeFiles } from "../../tests/support/files.ts";

/** Runs git in `cwd` with a fixed identity; throws on failure. */
export function gitIn(cwd: string, ...args: string[]): Promise<string> {
  return runCommand("git", [
    "-c",
    "user.name=T",
    "-c",
    "user.email=t@t",
    ...args,
  ], {
    cwd,
  });
}

/** A repository with one commit holding `files`; returns its directory and commit. */
export async function makeRepo(
  parent: string,
  files: Record<string, string>,
): Promise<{ repo: string; commit: string }> {
  const repo = join(parent, "origin");
  await Deno.mkdir(repo, { recursive: true });
  await writeFiles(repo, files);
  await gitIn(repo, "init", "-q", "-b", "main");
  await gitIn(repo, "add", "-A");
  await gitIn(repo, "commit", "-qm", "initial");
  return { repo, commit: (await gitIn(repo, "rev-parse", "HEAD")).trim() };
}

/** Opens a working copy of `repo` at `commit` under a workspace root in `parent`. */
export function openTestCopy(opts: {
  parent: string;
  repo: string;
  commit: string;
  policy?: PathPolicy;
  earlier?: Packet[];
  pending?: Packet;
  runId?: string;
  options?: WorkingCopyOptions;
}): Promise<WorkingCopy> {
  return WorkingCopy.open({
    root: join(opts.parent, "workspaces"),
    runId: opts.runId ?? "run1",
    repo: opts.repo,
    baseCommit: opts.commit,
    earlier: opts.earlier ?? [],
    pending: opts.pending,
    policy: opts.policy ?? { allowed: [], forbidden: [] },
  }, opts.options ?? {});
}
