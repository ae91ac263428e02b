/**
 * The hidden check of a task: on a fresh checkout of the run's result, the
 * task's `hidden/` files are laid over the tree, the work order's setup
 * commands run (with the network if the work order allows it), then every
 * `hidden_check` command — all in the sandbox, output capped, each with a
 * timeout. Neither the SE nor the PO ever sees any of it.
 */
import { dirname, join, relative, sep } from "node:path";
import type { CommandRun, SandboxMode } from "../sandbox/mod.ts";
import { runCommand } from "../sandbox/mod.ts";
import type { WorkOrder } from "../work_order/mod.ts";
import type { HiddenCheckOutcome } from "./result.ts";
import type { EvalTask } from "./suite.ts";

/** Options of runHiddenCheck(). */
export interface HiddenCheckOptions {
  task: EvalTask;
  /** The attempt's work order: its setup commands and env apply. */
  workOrder: WorkOrder;
  /** A checkout of the result, which the check may change. */
  checkoutDir: string;
  mode: SandboxMode;
  signal?: AbortSignal;
}

/** What the hidden check found. */
export interface HiddenCheckReport {
  outcome: Exclude<HiddenCheckOutcome, "not_run">;
  /** The first failing command and its output's tail; null when it passed. */
  detail: string | null;
  commands: (CommandRun & { phase: "setup" | "check" })[];
}

/** Characters of a failing command's output kept in `detail`. */
const DETAIL_CHARS = 2_000;

/** Runs the hidden check of `task` in `checkoutDir`. */
export async function runHiddenCheck(
  opts: HiddenCheckOptions,
): Promise<HiddenCheckReport> {
  const { task, workOrder } = opts;
  const commands: HiddenCheckReport["commands"] = [];
  if (task.hiddenDir !== null) {
    await overlayFiles(task.hiddenDir, opts.checkoutDir);
  }
  const phases = [
    {
      phase: "setup" as const,
      lines: workOrder.setup_commands,
      timeoutMs: workOrder.setup_timeout_s * 1000,
      network: workOrder.setup_network,
    },
    {
      phase: "check" as const,
      lines: task.spec.hidden_check,
      timeoutMs: task.spec.hidden_timeout_s * 1000,
      network: false,
    },
  ];
  for (const { phase, lines, timeoutMs, network } of phases) {
    for (const command of lines) {
      const run = await runCommand({
        command,
        cwd: opts.checkoutDir,
        env: workOrder.env,
        timeoutMs,
        mode: opts.mode,
        network,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      commands.push({ ...run, phase });
      if (run.exit_code !== 0) {
        return {
          outcome: phase === "setup" ? "error" : "failed",
          detail: describeFailure(run, phase),
          commands,
        };
      }
    }
  }
  return { outcome: "passed", detail: null, commands };
}

function describeFailure(run: CommandRun, phase: "setup" | "check"): string {
  const how = run.timed_out
    ? "timed out"
    : run.exit_code === null
    ? "was killed"
    : `exited ${run.exit_code}`;
  const output = run.output.length > DETAIL_CHARS
    ? `…${run.output.slice(-DETAIL_CHARS)}`
    : run.output;
  const label = phase === "setup" ? "setup command" : "hidden check";
  return `${label} \`${run.command}\` ${how}\n${output}`.trimEnd();
}

/**
 * Copies every file below `from` to the same place below `to`. The tree in
 * `to` is the agent's work: a symlink or a file where a folder or file of
 * `from` goes is removed first, so nothing is ever written through a link.
 */
export async function overlayFiles(from: string, to: string): Promise<void> {
  for (const file of await listFiles(from)) {
    const rel = relative(from, file);
    const parts = rel.split(sep);
    let dir = to;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      const info = await lstatOf(dir);
      if (info && !info.isDirectory) await Deno.remove(dir);
      if (!info || !info.isDirectory) await Deno.mkdir(dir);
    }
    const target = join(to, rel);
    const info = await lstatOf(target);
    if (info) await Deno.remove(target, { recursive: true });
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeFile(target, await Deno.readFile(file), {
      createNew: true,
      mode: (await Deno.stat(file)).mode ?? 0o644,
    });
  }
}

/** Regular files below `dir`, recursively (symlinks in the task folder are refused). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isSymlink) {
      throw new Error(`Hidden check file "${path}" is a symlink`);
    }
    if (entry.isDirectory) out.push(...await listFiles(path));
    else if (entry.isFile) out.push(path);
  }
  return out.sort();
}

async function lstatOf(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch {
    return null;
  }
}
