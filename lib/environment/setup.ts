/**
 * The setup phase: restore the cached environment of a work order's setup
 * commands, or run them (sandboxed, with network when `setup_network`) in the
 * fresh checkout and keep what they produced as a new cached environment.
 */
import {
  digestOutput,
  digestText,
  runCommand,
  type SandboxMode,
} from "../sandbox/mod.ts";
import type { CommandResult } from "../factory/mod.ts";
import type { EnvironmentCache } from "./cache.ts";
import { environmentKey } from "./key.ts";
import {
  type CommandLayout,
  restoreEnvironment,
  sandboxMountPath,
} from "./restore.ts";

/** The work order fields the setup phase reads. */
export interface SetupSpec {
  repo: string;
  clone_branch: string;
  setup_commands: string[];
  setup_network: boolean;
  setup_cache_key: string[] | null;
  setup_timeout_s: number;
  env: Record<string, string>;
  /** Names from AOS_SECRETS the work order asks for. */
  secrets?: readonly string[];
  /** Whether setup commands get those secrets too. */
  setup_secrets?: boolean;
}

/** The secret names setup commands get: none unless `setup_secrets`. */
export function setupSecretNames(spec: SetupSpec): readonly string[] {
  return spec.setup_secrets ? spec.secrets ?? [] : [];
}

/** What the setup phase did. */
export interface SetupOutcome {
  /** `none`: no setup_commands; `restored`: from the cache; `built`: setup ran; `failed`: a command failed. */
  status: "none" | "restored" | "built" | "failed";
  /** The environment's key (hex), null without setup commands. */
  key: string | null;
  /** The base commit's tree id when the whole tree keys the environment (the default). */
  key_tree: string | null;
  /** Files `setup_cache_key` named, with their git blob ids (empty when the tree keys it). */
  key_files: { path: string; blob: string }[];
  /** Results of the setup commands that ran now (none when restored). */
  commands: CommandResult[];
  /** Size of the environment, once there is one. */
  environment: { roots: string[]; files: number; bytes: number } | null;
  /** How the workspace's commands must run; spread into runCommand(). */
  layout: CommandLayout;
}

/** Options of prepareEnvironment(). */
export interface PrepareEnvironmentOptions {
  /** The checkout, reset to `baseCommit` with nothing applied yet. */
  dir: string;
  baseCommit: string;
  spec: SetupSpec;
  cache: EnvironmentCache;
  workspaceRoot: string;
  mode: SandboxMode;
  signal?: AbortSignal;
  /** Masks secrets in command output before it is kept. */
  redact?: (text: string) => string;
  /** Told just before each setup command starts (for the run's CMD_START events). */
  onCommandStart?: (command: string, timeoutS: number) => void;
  /** Host loopback ports setup commands may reach (AOS_SETUP_HOST_PORTS). */
  hostPorts?: readonly number[];
  /** The values of setupSecretNames(spec), as environment variables of the setup commands. */
  secrets?: Record<string, string>;
  /** Setup commands share the host's network (AOS_SETUP_NETWORK=host). */
  hostNetwork?: boolean;
}

/** Restores or builds the environment of `spec` under the checkout; never throws for a failing command. */
export async function prepareEnvironment(
  opts: PrepareEnvironmentOptions,
): Promise<SetupOutcome> {
  const { spec } = opts;
  if (spec.setup_commands.length === 0) {
    return {
      status: "none",
      key: null,
      key_tree: null,
      key_files: [],
      commands: [],
      environment: null,
      layout: { layers: [] },
    };
  }
  const mountAt = sandboxMountPath(opts.workspaceRoot);
  const { key, tree, files } = await environmentKey({
    repo: spec.repo,
    cloneBranch: spec.clone_branch,
    setupCommands: spec.setup_commands,
    cacheKey: spec.setup_cache_key,
    env: spec.env,
    setupSecrets: setupSecretNames(spec),
    mountAt,
    dir: opts.dir,
    baseCommit: opts.baseCommit,
  });
  const done = async (
    status: "restored" | "built",
    commands: CommandResult[],
  ): Promise<SetupOutcome> => {
    const environment = status === "restored"
      ? await opts.cache.lookup(key)
      : await opts.cache.capture(opts.dir, key);
    if (!environment) throw new Error(`Environment '${key}' vanished`);
    const layout = await restoreEnvironment({
      dir: opts.dir,
      environment,
      mode: opts.mode,
      workspaceRoot: opts.workspaceRoot,
    });
    return {
      status,
      key,
      key_tree: tree,
      key_files: files,
      commands,
      environment: {
        roots: environment.roots,
        files: environment.files,
        bytes: environment.bytes,
      },
      layout,
    };
  };
  if (await opts.cache.lookup(key)) return await done("restored", []);

  const redact = opts.redact ?? ((text: string) => text);
  const commands: CommandResult[] = [];
  for (const command of spec.setup_commands) {
    opts.onCommandStart?.(command, spec.setup_timeout_s);
    const run = await runCommand({
      command,
      cwd: opts.dir,
      env: spec.env,
      secrets: opts.secrets ?? {},
      timeoutMs: spec.setup_timeout_s * 1000,
      mode: opts.mode,
      network: spec.setup_network,
      hostPorts: opts.hostPorts ?? [],
      hostNetwork: opts.hostNetwork ?? false,
      mountAt,
      hideDirs: [opts.workspaceRoot],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (opts.signal?.aborted) {
      throw opts.signal.reason ?? new Error("Cancelled");
    }
    const result: CommandResult = {
      command,
      exit_code: run.exit_code,
      duration_ms: run.duration_ms,
      output: redact(run.output),
      truncated: run.truncated,
      timed_out: run.timed_out,
    };
    commands.push(result);
    if (result.exit_code !== 0) {
      return {
        status: "failed",
        key,
        key_tree: tree,
        key_files: files,
        commands,
        environment: null,
        layout: { layers: [] },
      };
    }
  }
  return await done("built", commands);
}

/**
 * Restores the cached environment of `spec` into another checkout of the
 * base commit (the SE's working copy) without ever running setup there;
 * null when it is not cached (the caller rebuilds it in the run's workspace first).
 */
export async function restoreCachedEnvironment(
  opts: Omit<PrepareEnvironmentOptions, "signal" | "redact">,
): Promise<CommandLayout | null> {
  if (opts.spec.setup_commands.length === 0) return { layers: [] };
  const { key } = await environmentKey({
    repo: opts.spec.repo,
    cloneBranch: opts.spec.clone_branch,
    setupCommands: opts.spec.setup_commands,
    cacheKey: opts.spec.setup_cache_key,
    env: opts.spec.env,
    setupSecrets: setupSecretNames(opts.spec),
    mountAt: sandboxMountPath(opts.workspaceRoot),
    dir: opts.dir,
    baseCommit: opts.baseCommit,
  });
  const environment = await opts.cache.lookup(key);
  if (!environment) return null;
  return await restoreEnvironment({
    dir: opts.dir,
    environment,
    mode: opts.mode,
    workspaceRoot: opts.workspaceRoot,
  });
}

/** A setup command failed: the run ends before any model call. */
export class SetupFailedError extends Error {
  override name = "SetupFailedError";
  constructor(readonly outcome: SetupOutcome) {
    super(setupFailureMessage(outcome));
  }
}

/**
 * The reason for a failed setup: the command, how it ended, then its output
 * digested — the lines that look like errors first, then its head and tail
 * (npm states the cause at the head and prints its help text after it).
 */
export function setupFailureMessage(outcome: SetupOutcome): string {
  const failed = outcome.commands.at(-1);
  if (!failed) return "Setup failed";
  const how = failed.timed_out
    ? "timed out"
    : failed.exit_code === null
    ? "was killed"
    : `exited with code ${failed.exit_code}`;
  const digest = digestText(digestOutput(failed.output));
  return `Setup command '${failed.command}' ${how}${
    digest === "" ? " (no output)" : `:\n${digest}`
  }`;
}
