/**
 * run_command for the SE: a command in the same bwrap sandbox as the
 * acceptance commands (no network, cleared environment plus the work order's
 * env, process-group kill on timeout and cancel), in the SE's working copy,
 * within the per-turn limits on commands and command seconds.
 */
import { runCommand, type SandboxMode } from "../sandbox/mod.ts";
import type { NetworkAllowOptions } from "../sandbox/mod.ts";
import { ToolError } from "./files.ts";

/** Output kept for the model per command: head and tail of this many bytes in all. */
export const SE_COMMAND_OUTPUT_BYTES = 10_000;

/** What the SE's commands may use in one turn, and how they run. */
export interface SeCommandSettings {
  /** The work order's env. */
  env: Record<string, string>;
  mode: SandboxMode;
  /** Hidden from commands (WORKSPACE_ROOT with the other runs and the repo cache). */
  hideDirs: string[];
  /** Commands per turn (`max_se_commands`). */
  maxCommands: number;
  /** Command seconds per turn, all commands together (`se_command_seconds`). */
  maxSeconds: number;
  /** Longest one command may run (`command_timeout_s`). */
  maxTimeoutS: number;
  /** Where the working copy appears inside the sandbox (a restored environment fixes it). */
  mountAt?: string | undefined;
  /** Read-only layers beneath the working copy (the cached environment). */
  layers?: string[] | undefined;
  /** The work order's `network_allow` (hosts reached through the egress proxy). */
  networkAllow?: NetworkAllowOptions | undefined;
}

/** Commands run and seconds used so far this turn (kept so a resumed turn keeps its limits). */
export interface SeCommandUsage {
  commands: number;
  seconds: number;
}

/** One command's outcome as the model reads it (the file changes are added by the working copy). */
export interface SeCommandOutcome {
  text: string;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
}

/** Runs `command` in `dir`, charging `usage`; over a limit it is a ToolError and nothing runs. */
export async function runSeCommand(
  dir: string,
  command: string,
  settings: SeCommandSettings,
  usage: SeCommandUsage,
  opts: {
    timeoutS?: number | undefined;
    signal?: AbortSignal | undefined;
    /** Told just before the command starts (after the limits let it). */
    onStart?: ((command: string, timeoutS: number) => void) | undefined;
  },
): Promise<SeCommandOutcome> {
  if (command.trim() === "") throw new ToolError("command must not be empty");
  if (usage.commands >= settings.maxCommands) {
    throw new ToolError(
      `run_command refused: this turn's ${settings.maxCommands} commands (max_se_commands) are used up; ` +
        "finish, and the acceptance commands will run",
    );
  }
  const left = settings.maxSeconds - usage.seconds;
  if (left < 1) {
    throw new ToolError(
      `run_command refused: this turn's ${settings.maxSeconds} command seconds (se_command_seconds) are used up`,
    );
  }
  const limit = Math.max(
    1,
    Math.min(opts.timeoutS ?? settings.maxTimeoutS, settings.maxTimeoutS, left),
  );
  opts.onStart?.(command, limit);
  const run = await runCommand({
    command,
    cwd: dir,
    env: settings.env,
    timeoutMs: Math.round(limit * 1000),
    mode: settings.mode,
    maxOutputBytes: SE_COMMAND_OUTPUT_BYTES,
    hideDirs: settings.hideDirs,
    ...(settings.mountAt ? { mountAt: settings.mountAt } : {}),
    ...(settings.layers?.length ? { layers: settings.layers } : {}),
    ...(settings.networkAllow ? { networkAllow: settings.networkAllow } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  usage.commands++;
  usage.seconds += run.duration_ms / 1000;
  const seconds = (run.duration_ms / 1000).toFixed(1);
  const how = run.timed_out
    ? `killed after ${seconds} s: its timeout of ${limit} s was reached`
    : run.cancelled
    ? `cancelled after ${seconds} s`
    : run.exit_code === null
    ? `killed by a signal after ${seconds} s`
    : `exit code ${run.exit_code} in ${seconds} s`;
  const output = run.output.trim() === ""
    ? "(no output)"
    : `${run.output.replace(/\n$/, "")}${
      run.truncated ? "\n[output cut: head and tail kept]" : ""
    }`;
  const budget = `${settings.maxCommands - usage.commands} commands and ${
    Math.max(0, Math.floor(settings.maxSeconds - usage.seconds))
  } command seconds left this turn`;
  return {
    text: `$ ${command}\n${how}\n${output}\n[${budget}]`,
    exitCode: run.exit_code,
    durationMs: run.duration_ms,
    timedOut: run.timed_out,
  };
}
