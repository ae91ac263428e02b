/**
 * Test support (imported by tests only): files and programs a test sets up on
 * disk, where any failure is the test's failure; real git repositories and
 * working copies in temp dirs.
 */
import { dirname, join } from "node:path";
import { WorkingCopy, type WorkingCopyOptions } from "./working_copy.ts";
import type { Packet } from "./pending.ts";
import type { PathPolicy } from "./paths.ts";

/** Options of `runCommand`. */
export interface RunCommandOptions {
  cwd?: string;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
}

/**
 * Runs `program` with `args` and returns its stdout; throws naming the
 * command line, with its stderr, when it exits non-zero.
 */
export async function runCommand(
  program: string,
  args: string[],
  opts: RunCommandOptions = {},
): Promise<string> {
  const out = await new Deno.Command(program, {
    args,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Writes each of `files` (a path below `dir` and its text), creating the folders on the way. */
export async function writeFiles(
  dir: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await Deno.mkdir(dirname(full), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
}

/** Runs `fn` in a fresh temp dir named with `prefix`, and removes the dir after. */
export async function withTempDir(
  prefix: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

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
