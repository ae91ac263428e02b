/**
 * A long-lived process in the same sandbox as runCommand (the same launch
 * plan: bwrap allow-list, no capabilities, never root, cleared environment,
 * no network, the workspace the only writable place) with its stdin and
 * stdout piped to the caller: an MCP server speaks JSON-RPC over them. Its
 * stderr is kept capped; stop() kills the whole process group, and bwrap's
 * --die-with-parent takes the sandbox's pid namespace, every descendant
 * included, down with it.
 */
import { resolve } from "node:path";
import { CappedCollector } from "./output_cap.ts";
import { launchPlan } from "./launch.ts";
import { commandEnv } from "./sandbox.ts";
import type { SandboxMode } from "./options.ts";
import type { NetworkAllowOptions } from "./egress.ts";

/** Options of spawnSandboxed(). */
export interface SpawnSandboxedOptions {
  /** The program and its arguments, executed directly (no shell). */
  argv: string[];
  /** The workspace: the working directory and the only writable place. */
  cwd: string;
  /** The environment besides PATH/HOME/LANG; secrets-bearing names are dropped. */
  env: Record<string, string>;
  mode: SandboxMode;
  /** Directories made invisible (WORKSPACE_ROOT with the other runs and the repo cache). */
  hideDirs?: string[];
  /** Where the workspace appears inside the sandbox (default its host path). */
  mountAt?: string | undefined;
  /** The work order's `network_allow`: the process reaches those hosts through the egress proxy. */
  networkAllow?: NetworkAllowOptions | undefined;
  /** Bytes of stderr kept (head and tail). */
  maxStderrBytes?: number;
}

/** A running sandboxed process. */
export interface SandboxedProcess {
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** What it wrote to stderr so far, capped. */
  stderr(): string;
  /** Kills the process group and waits for the exit; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts `opts.argv` in the sandbox; throws when the program cannot be started at all. */
export async function spawnSandboxed(
  opts: SpawnSandboxedOptions,
): Promise<SandboxedProcess> {
  const cwd = resolve(opts.cwd);
  if (opts.argv.length === 0) throw new TypeError("argv must not be empty");
  const plan = await launchPlan(
    {
      command: opts.argv.join(" "),
      cwd,
      env: opts.env,
      mode: opts.mode,
      hideDirs: opts.hideDirs ?? [],
      ...(opts.mountAt ? { mountAt: opts.mountAt } : {}),
      ...(opts.networkAllow ? { networkAllow: opts.networkAllow } : {}),
    },
    cwd,
    opts.argv,
  );
  if ("refused" in plan) throw new Error(plan.refused);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(plan.program, {
      args: plan.args,
      cwd,
      env: commandEnv(opts.env, plan.home),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // Its own process group, so one kill reaches every descendant.
      detached: true,
    }).spawn();
  } catch (error) {
    await plan.cleanup();
    throw error;
  }
  const stderr = new CappedCollector(opts.maxStderrBytes ?? 4096);
  const stderrDone = (async () => {
    try {
      for await (const chunk of child.stderr) stderr.push(chunk);
    } catch { /* the pipe closed under us */ }
  })();
  const killGroup = () => {
    for (const target of [-child.pid, child.pid]) {
      try {
        Deno.kill(target, "SIGKILL");
      } catch { /* already gone */ }
    }
  };
  const exited = child.status.then(async (status) => {
    // Whatever the program left behind in its group dies with it.
    killGroup();
    await plan.cleanup();
    return status;
  });
  let stopping: Promise<void> | null = null;
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    exited,
    stderr: () => stderr.result().text,
    stop: () =>
      stopping ??= (async () => {
        killGroup();
        await exited;
        // A descendant that escaped the group could hold stderr open forever.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          stderrDone,
          new Promise((r) => timer = setTimeout(r, 1000)),
        ]);
        clearTimeout(timer);
      })(),
  };
}
