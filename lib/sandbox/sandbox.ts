/** Runs acceptance commands: bwrap isolation, cleared env, a timeout that kills the process group, capped output. */
import { resolve } from "node:path";
import { DEFAULT_MAX_OUTPUT_BYTES } from "./output_cap.ts";
import { bwrapProblem } from "./bwrap.ts";
import { launchPlan } from "./launch.ts";
import type {
  CommandRun,
  RunCommandOptions,
  SandboxMode,
  SandboxSetting,
} from "./options.ts";
import { supervise } from "./supervise.ts";

export { bwrapProblem } from "./bwrap.ts";
export { overlayProblem } from "./overlay.ts";
export { setupNetworkProblem } from "./network.ts";

export {
  type CommandRun,
  type RunCommandOptions,
  SANDBOX_SETTINGS,
  type SandboxMode,
  type SandboxSetting,
} from "./options.ts";

const DEFAULT_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const BLOCKED_ENV = new Set([
  "OPENAI_API_KEY",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "AOS_API_TOKEN",
]);

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
  const ended = (
    fields: Omit<CommandRun, "command" | "duration_ms">,
  ): CommandRun => ({
    command: opts.command,
    ...fields,
    duration_ms: Math.round(performance.now() - started),
  });
  if (opts.signal?.aborted) {
    return {
      command: opts.command,
      exit_code: null,
      duration_ms: 0,
      output: "",
      truncated: false,
      timed_out: false,
      cancelled: true,
    };
  }
  const plan = await launchPlan(opts, cwd);
  if ("refused" in plan) {
    return ended({
      exit_code: 125,
      output: plan.refused,
      truncated: false,
      timed_out: false,
      cancelled: false,
    });
  }
  try {
    return ended(
      await supervise({
        program: plan.program,
        args: plan.args,
        cwd,
        env: commandEnv(opts.env, plan.home, opts.secrets),
        timeoutMs: opts.timeoutMs,
        maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    );
  } finally {
    await plan.cleanup();
  }
}
