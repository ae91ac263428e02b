/** Runs acceptance commands: bwrap isolation, cleared env, a timeout that kills the process group, capped output. */
import { resolve } from "node:path";
import type { CommandResult } from "../factory/shapes.ts";
import { CappedCollector, DEFAULT_MAX_OUTPUT_BYTES } from "./output_cap.ts";
import { bwrapArgs, bwrapProblem, SANDBOX_HOME } from "./bwrap.ts";
import { makeWorkDir, overlayWrapper, removeWorkDir } from "./overlay.ts";
import { stripTerminalCodes } from "./terminal_codes.ts";
import {
  networkRefusal,
  networkWrapper,
  setupNetworkProblem,
} from "./network.ts";

export { bwrapProblem } from "./bwrap.ts";
export { overlayProblem } from "./overlay.ts";
export { setupNetworkProblem } from "./network.ts";

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

const DEFAULT_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const BLOCKED_ENV = new Set([
  "OPENAI_API_KEY",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "AOS_API_TOKEN",
]);
/** How long to wait for pipes to drain after the process group is gone. */
const DRAIN_MS = 2000;

/** Turns the AOS_SANDBOX setting into a working mode, or throws saying how to fix the machine. */
export async function resolveSandboxMode(
  setting: SandboxSetting,
): Promise<SandboxMode> {
  if (setting === "none") return "none";
  const problem = await bwrapProblem();
  if (problem === null) return "bwrap";
  throw new Error(
    `Sandbox 'bwrap' is not usable (${problem}); install bubblewrap (apt-get install bubblewrap) ` +
      `or set AOS_SANDBOX=none to run acceptance commands without isolation`,
  );
}

/** The environment a command sees: PATH, HOME, LANG and the work order's env minus secrets. */
export function commandEnv(
  workOrderEnv: Record<string, string>,
  home: string,
  secrets: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? DEFAULT_PATH,
    LANG: "C.UTF-8",
    // Plain output: colours only clutter what the model reads (the work order's env may override).
    NO_COLOR: "1",
    TERM: "dumb",
  };
  for (const [name, value] of Object.entries(workOrderEnv)) {
    if (BLOCKED_ENV.has(name) || name.startsWith("AOS_") || name === "HOME") {
      continue;
    }
    env[name] = value;
  }
  for (const [name, value] of Object.entries(secrets)) {
    if (BLOCKED_ENV.has(name) || name.startsWith("AOS_") || name === "HOME") {
      continue;
    }
    env[name] = value;
  }
  env.HOME = home;
  return env;
}

/** Runs `opts.command` in the workspace under the chosen sandbox; never throws for a failing command. */
export async function runCommand(opts: RunCommandOptions): Promise<CommandRun> {
  const cwd = resolve(opts.cwd);
  const started = performance.now();
  const base = { command: opts.command };
  if (opts.signal?.aborted) {
    return {
      ...base,
      exit_code: null,
      duration_ms: 0,
      output: "",
      truncated: false,
      timed_out: false,
      cancelled: true,
    };
  }
  // The outer shell joins stderr to stdout so the output keeps its real order.
  const shell = [
    "/bin/sh",
    "-c",
    'exec 2>&1; exec /bin/sh -c "$1"',
    "aos-sh",
    opts.command,
  ];
  let program: string;
  let args: string[];
  let home: string;
  let tempHome: string | null = null;
  let workDir: string | null = null;
  const layers = opts.layers ?? [];
  if (opts.mode === "bwrap") {
    home = SANDBOX_HOME;
    const ownNetwork = opts.network === true && opts.hostNetwork !== true;
    const problem = ownNetwork ? await setupNetworkProblem() : null;
    if (problem !== null) {
      // Fail closed: the host's network would hand the command the host's loopback.
      return {
        ...base,
        exit_code: 125,
        duration_ms: Math.round(performance.now() - started),
        output: networkRefusal(problem),
        truncated: false,
        timed_out: false,
        cancelled: false,
      };
    }
    program = "bwrap";
    args = [
      ...(await bwrapArgs(cwd, opts.hideDirs ?? [], {
        network: opts.network ?? false,
        ...(opts.mountAt ? { mountAt: opts.mountAt } : {}),
      })),
      "--",
      ...shell,
    ];
    if (layers.length > 0) {
      workDir = await makeWorkDir(cwd);
      const wrapper = await overlayWrapper(cwd, layers, workDir);
      program = wrapper[0]!;
      args = [...wrapper.slice(1), "bwrap", ...args];
    }
    if (ownNetwork) {
      // bwrap's --share-net then shares this namespace, not the host's.
      const wrapper = networkWrapper(opts.hostPorts ?? []);
      args = [...wrapper.slice(1), program, ...args];
      program = wrapper[0]!;
    }
  } else if (layers.length > 0) {
    throw new TypeError(
      `Cannot run '${opts.command}' on layers without the bwrap sandbox`,
    );
  } else {
    tempHome = await Deno.makeTempDir({ prefix: "aos-home-" });
    home = tempHome;
    program = shell[0] as string;
    args = shell.slice(1);
  }
  try {
    const child = new Deno.Command(program, {
      args,
      cwd,
      env: commandEnv(opts.env, home, opts.secrets),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Its own session and process group, so one kill reaches every descendant.
      detached: true,
    }).spawn();
    const collector = new CappedCollector(
      opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    );
    const readers = [child.stdout, child.stderr].map((stream) =>
      drain(stream, collector)
    );
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => {
      for (const target of [-child.pid, child.pid]) {
        try {
          Deno.kill(target, "SIGKILL");
        } catch { /* already gone */ }
      }
    };
    // setTimeout fires at once for delays past 2^31-1 ms; clamp instead.
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, Math.min(Math.max(0, opts.timeoutMs), 2 ** 31 - 1));
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    // An abort during the set-up before the spawn has no event left to fire.
    if (opts.signal?.aborted) onAbort();
    let status: Deno.CommandStatus;
    try {
      status = await child.status;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
    // Background jobs left behind (`server &`) die with the command.
    killGroup();
    await settle(readers);
    const { text, truncated } = collector.result();
    const killed = timedOut || cancelled || status.signal !== null;
    let output = stripTerminalCodes(text);
    if (timedOut) {
      output += `${
        text && !text.endsWith("\n") ? "\n" : ""
      }[AOS: command timed out after ${opts.timeoutMs} ms and was killed]\n`;
    }
    return {
      ...base,
      exit_code: killed ? null : status.code,
      duration_ms: Math.round(performance.now() - started),
      output,
      truncated,
      timed_out: timedOut,
      cancelled: cancelled && !timedOut,
    };
  } finally {
    if (tempHome) {
      await Deno.remove(tempHome, { recursive: true }).catch(() => {});
    }
    if (workDir) await removeWorkDir(workDir);
  }
}

interface Drain {
  done: Promise<void>;
  cancel(): Promise<void>;
}

function drain(
  stream: ReadableStream<Uint8Array>,
  collector: CappedCollector,
): Drain {
  const reader = stream.getReader();
  const done = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        collector.push(value);
      }
    } catch {
      // Cancelled by settle(): whatever arrived is kept.
    } finally {
      reader.releaseLock();
    }
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

/** Waits for the pipes to close; a descendant that escaped the group could hold them open forever. */
async function settle(drains: Drain[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) =>
    timer = setTimeout(() => r("timeout"), DRAIN_MS)
  );
  const outcome = await Promise.race([
    Promise.all(drains.map((d) => d.done)),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    await Promise.all(drains.map((d) => d.cancel()));
    await Promise.all(drains.map((d) => d.done));
  }
}
