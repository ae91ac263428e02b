/**
 * How a command is launched: the program and arguments (bwrap, wrapped by the
 * overlay and the network namespace when asked; or a plain shell), the home
 * it gets, and what to remove afterwards.
 */
import { bwrapArgs, SANDBOX_HOME } from "./bwrap.ts";
import { makeWorkDir, overlayWrapper, removeWorkDir } from "./overlay.ts";
import {
  networkRefusal,
  networkWrapper,
  setupNetworkProblem,
} from "./network.ts";
import type { RunCommandOptions } from "./options.ts";
import { type EgressSession, startEgressSession } from "./egress.ts";

/** A command ready to spawn. */
export interface LaunchPlan {
  program: string;
  args: string[];
  /** HOME inside the command. */
  home: string;
  /** Removes what the plan made (a temporary home, an overlay work dir). */
  cleanup(): Promise<void>;
}

/**
 * The launch of `opts.command` in `cwd` (resolved), or why it is refused
 * (output for the command's result: the network it asked for is not usable).
 * With `argv`, that program runs directly instead of the shell line, its
 * stderr apart (a long-lived server speaking over its pipes, lib/mcp).
 */
export async function launchPlan(
  opts: Omit<RunCommandOptions, "timeoutMs">,
  cwd: string,
  argv?: readonly string[],
): Promise<LaunchPlan | { refused: string }> {
  // The outer shell joins stderr to stdout so the output keeps its real order.
  const shell = argv ? [...argv] : [
    "/bin/sh",
    "-c",
    'exec 2>&1; exec /bin/sh -c "$1"',
    "aos-sh",
    opts.command,
  ];
  const layers = opts.layers ?? [];
  if (opts.mode !== "bwrap") {
    if (layers.length > 0) {
      throw new TypeError(
        `Cannot run '${opts.command}' on layers without the bwrap sandbox`,
      );
    }
    const home = await Deno.makeTempDir({ prefix: "aos-home-" });
    return {
      program: shell[0]!,
      args: shell.slice(1),
      home,
      cleanup: () => Deno.remove(home, { recursive: true }).catch(() => {}),
    };
  }
  const ownNetwork = opts.network === true && opts.hostNetwork !== true;
  const problem = ownNetwork ? await setupNetworkProblem() : null;
  // Fail closed: the host's network would hand the command the host's loopback.
  if (problem !== null) return { refused: networkRefusal(problem) };
  // network_allow: the egress proxy for this command, stopped by cleanup().
  const egress: EgressSession | null =
    opts.networkAllow?.hosts.length && opts.network !== true
      ? await startEgressSession(opts.networkAllow)
      : null;
  let workDir: string | null = null;
  try {
    let program = "bwrap";
    let args = [
      ...(await bwrapArgs(cwd, opts.hideDirs ?? [], {
        network: opts.network ?? false,
        ...(opts.mountAt ? { mountAt: opts.mountAt } : {}),
        ...(egress ? { binds: egress.bwrapArgs } : {}),
      })),
      "--",
      ...(egress ? egress.wrap(shell) : shell),
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
    return {
      program,
      args,
      home: SANDBOX_HOME,
      cleanup: async () => {
        if (workDir) await removeWorkDir(workDir);
        await egress?.close();
      },
    };
  } catch (error) {
    if (workDir) await removeWorkDir(workDir);
    await egress?.close();
    throw error;
  }
}
