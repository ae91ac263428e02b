/**
 * Building the SE's working copy: a checkout of the run's base commit beside
 * the Tool Runner's workspace (sharing the mirror cache), the earlier packets
 * applied and committed as HEAD — the start of the turn, so `git diff` in a
 * command shows this turn's changes — then a journaled pending packet on top.
 * A pure function of (repo, base commit, earlier packets, pending packet), so
 * any worker can rebuild it when it is absent.
 */
import { join, resolve } from "node:path";
import { git } from "../git/mod.ts";
import type { GitCredentials, RepoAddressPolicy } from "../git/mod.ts";
import type { PathPolicy } from "./paths.ts";
import { applyPacket, prepareWorkspace } from "./workspace.ts";
import { type Packet, PendingChanges } from "./pending.ts";

/** Suffix of the working copy's directory name beside `<run-id>/`. */
export const WORKING_COPY_SUFFIX = ".se";

/** The working copy's name beside `<run-id>/`: `<run-id>.se`, or `<run-id>.se-K` for attempt K of a best-of-N iteration. */
export function workingCopyName(runId: string, attempt?: number): string {
  return `${runId}${WORKING_COPY_SUFFIX}${
    attempt === undefined ? "" : `-${attempt}`
  }`;
}

/** Where the working copy of a run lives: `<root>/<run-id>.se/`, beside the Tool Runner's workspace. */
export function workingCopyDir(
  root: string,
  runId: string,
  attempt?: number,
): string {
  return join(resolve(root), workingCopyName(runId, attempt));
}

/** Everything a working copy is a function of. */
export interface WorkingCopySource {
  /** WORKSPACE_ROOT (the mirror cache under it is shared with the Tool Runner). */
  root: string;
  runId: string;
  /** Attempt K of a best-of-N iteration: a working copy of its own (`<run-id>.se-K`). */
  attempt?: number | undefined;
  repo: string;
  /** The run's resolved base commit. */
  baseCommit: string;
  /** Per-host git credentials (AOS_GIT_CREDENTIALS, GITHUB_TOKEN), for a fetch the mirror may need. */
  credentials?: GitCredentials | null;
  /** Hosts that may resolve to private addresses, for that fetch (default: none). */
  addressPolicy?: RepoAddressPolicy | undefined;
  /** SE packets of iterations 1..N-1, in order. */
  earlier: Packet[];
  /** This turn's pending packet from a journal, to go on where an interrupted turn stopped. */
  pending?: Packet | undefined;
  policy: PathPolicy;
  signal?: AbortSignal | undefined;
  /**
   * Restores the run's cached environment (node_modules, .venv, …) into the
   * fresh checkout, before any packet is applied; returns how commands see it.
   */
  environment?:
    | ((dir: string, baseCommit: string) => Promise<CommandMounts>)
    | undefined;
}

/** How commands see the working copy: its path inside the sandbox and read-only layers beneath it. */
export interface CommandMounts {
  mountAt?: string;
  layers: string[];
}

/** A built working copy: its directory, start commit and pending changes. */
export interface PreparedWorkingCopy {
  dir: string;
  startCommit: string;
  changes: PendingChanges;
  mounts: CommandMounts;
}

const IDENTITY = {
  GIT_AUTHOR_NAME: "AOS",
  GIT_AUTHOR_EMAIL: "aos@localhost",
  GIT_COMMITTER_NAME: "AOS",
  GIT_COMMITTER_EMAIL: "aos@localhost",
};

/** Builds (or rebuilds) the working copy from its source. */
export async function prepareWorkingCopy(
  source: WorkingCopySource,
): Promise<PreparedWorkingCopy> {
  const { dir, baseCommit } = await prepareWorkspace({
    root: source.root,
    runId: workingCopyName(source.runId, source.attempt),
    repo: source.repo,
    ref: source.baseCommit,
    credentials: source.credentials ?? null,
    ...(source.addressPolicy ? { addressPolicy: source.addressPolicy } : {}),
    ...(source.signal ? { signal: source.signal } : {}),
  });
  const mounts = source.environment
    ? await source.environment(dir, baseCommit)
    : { layers: [] };
  for (const packet of source.earlier) {
    await applyPacket(dir, packet, source.policy);
  }
  await git(["add", "--all", "--", "."], { cwd: dir });
  const tree = (await git(["write-tree"], { cwd: dir })).stdout.trim();
  // Fixed identity and date: the same inputs give the same start commit.
  const when =
    (await git(["show", "-s", "--format=%ct", baseCommit], { cwd: dir }))
      .stdout.trim();
  const date = `${when} +0000`;
  const startCommit = (await git([
    "commit-tree",
    "--no-gpg-sign",
    tree,
    "-p",
    baseCommit,
    "-m",
    "AOS: start of the SE turn (base and earlier iterations)",
  ], {
    cwd: dir,
    env: { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  })).stdout.trim();
  await git(["update-ref", "--no-deref", "HEAD", startCommit], { cwd: dir });
  const changes = new PendingChanges({ dir, policy: source.policy });
  if (source.pending) await changes.restore(source.pending);
  return { dir, startCommit, changes, mounts };
}
