/**
 * A spawned command under supervision: its own process group, killed whole
 * at the timeout, on cancel and when it exits (background jobs die with it);
 * output collected capped from both pipes.
 */
import { CappedCollector } from "./output_cap.ts";
import { stripTerminalCodes } from "./terminal_codes.ts";

/** How long to wait for pipes to drain after the process group is gone. */
const DRAIN_MS = 2000;

/** What to spawn and how long to let it run. */
export interface SuperviseOptions {
  program: string;
  args: string[];
  cwd: string;
  /** The whole environment (nothing of the service's own is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
}

/** How a supervised command ended. */
export interface Supervised {
  exit_code: number | null;
  output: string;
  truncated: boolean;
  timed_out: boolean;
  cancelled: boolean;
}

/** Spawns the command and waits for it to end, by itself, the timeout or the signal. */
export async function supervise(opts: SuperviseOptions): Promise<Supervised> {
  const child = new Deno.Command(opts.program, {
    args: opts.args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Its own session and process group, so one kill reaches every descendant.
    detached: true,
  }).spawn();
  const collector = new CappedCollector(opts.maxOutputBytes);
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
    exit_code: killed ? null : status.code,
    output,
    truncated,
    timed_out: timedOut,
    cancelled: cancelled && !timedOut,
  };
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
