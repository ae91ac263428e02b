/** What runCommand() is asked to do, and the sandbox settings it knows. */
import type { CommandResult } from "../factory/mod.ts";
import type { NetworkAllowOptions } from "./egress.ts";

/** The values of AOS_SANDBOX: a mode, or `auto` (bwrap, and an error when it is not usable). */
export const SANDBOX_SETTINGS = ["bwrap", "none", "auto"] as const;
/** An AOS_SANDBOX value. */
export type SandboxSetting = typeof SANDBOX_SETTINGS[number];
/** How commands are isolated: `bwrap` (bubblewrap) or `none` (no isolation; opt-in only). */
export type SandboxMode = Exclude<SandboxSetting, "auto">;

/** The outcome of one sandboxed command: a command result, and whether a cancel ended it. */
export type CommandRun = CommandResult & { cancelled: boolean };

/** Options of runCommand(). */
export interface RunCommandOptions {
  /** A shell line, run with `/bin/sh -c`. */
  command: string;
  /** The workspace: the working directory and the only writable place. */
  cwd: string;
  /** The work order's env; secrets-bearing names are dropped. */
  env: Record<string, string>;
  /**
   * AOS_SECRETS the command gets as environment variables (acceptance
   * commands; setup with `setup_secrets`), set after `env`. Never give them to
   * the SE's commands: the model reads their output.
   */
  secrets?: Record<string, string>;
  timeoutMs: number;
  mode: SandboxMode;
  signal?: AbortSignal;
  maxOutputBytes?: number;
  /** Directories made invisible (an empty tmpfs on top), e.g. WORKSPACE_ROOT with the repo cache. */
  hideDirs?: string[];
  /**
   * Network for setup commands (bwrap mode): a namespace of their own behind
   * pasta when setupNetworkProblem() is null — the outside world, not the
   * host's loopback — else the host's network. Default false: only a private `lo`.
   */
  network?: boolean;
  /**
   * `network_allow` (bwrap mode, commands without `network`): the command
   * keeps its `lo`-only namespace and reaches the hosts named, on ports 80
   * and 443, through the egress proxy (HTTP_PROXY / HTTPS_PROXY). Ignored
   * with `network` (setup keeps its own network) and when `hosts` is empty.
   */
  networkAllow?: NetworkAllowOptions | undefined;
  /** Host loopback ports a command with `network` may still reach (AOS_SETUP_HOST_PORTS). */
  hostPorts?: readonly number[];
  /**
   * `network` shares the host's network namespace instead (AOS_SETUP_NETWORK=host):
   * the command then reaches every service on the host's loopback. Operator opt-in only.
   */
  hostNetwork?: boolean;
  /** Where the workspace appears inside the sandbox (bwrap mode; default its host path). */
  mountAt?: string;
  /**
   * Read-only directories seen beneath the workspace, highest first (a cached
   * environment): writes and deletes land in the workspace, the layers never
   * change. bwrap mode only; needs overlayProblem() === null.
   */
  layers?: string[];
}
