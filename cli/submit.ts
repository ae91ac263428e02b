/** `aos submit FILE [--wait] [--timeout S]`: validate locally, submit, optionally follow to the end. */
import type { RunRecord, RunStatus } from "../lib/store/types.ts";
import { TERMINAL_STATUSES } from "../lib/store/types.ts";
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import {
  formatEventLine,
  formatStatusBlock,
  formatSubmitted,
} from "./format.ts";
import {
  printJson,
  printLine,
  printNote,
  stdoutIsTerminal,
  terminalColumns,
  writeText,
} from "./output.ts";
import { Progress } from "./progress.ts";
import { delay, followEvents } from "./sse.ts";
import { readWorkOrderFile } from "./work_order_file.ts";

/** Options of `submit`. */
export interface SubmitOptions {
  wait?: boolean;
  timeout?: number;
  json?: boolean;
  idempotencyKey?: string;
}

/** Exit code for a run's status: SUCCEEDED 0, FAILED 1, CANCELLED 4, REJECTED 6, otherwise 3 (still going). */
export function exitCodeForStatus(status: RunStatus): ExitCode {
  switch (status) {
    case "SUCCEEDED":
      return EXIT.succeeded;
    case "FAILED":
      return EXIT.failed;
    case "CANCELLED":
      return EXIT.cancelled;
    case "REJECTED":
      return EXIT.rejected;
    default:
      return EXIT.timedOut;
  }
}

/** Events printed as their own line above the progress line on a terminal. */
const NOTABLE_KINDS = new Set([
  "ATTEMPTS_DROPPED",
  "ATTEMPT_PICKED",
  "PO_RESULT",
  "PUSH",
  "ERROR",
  "RUN_CANCELLED",
  "AWAITING_APPROVAL",
  "RUN_APPROVED",
  "RUN_REJECTED",
  "RUN_PAUSED",
  "RUN_RESUMED",
]);

/** Options of `waitForRun`. */
export interface WaitOptions {
  /** Give up after this many ms (no limit when absent). */
  timeoutMs?: number | undefined;
  /** Print nothing while waiting. */
  quiet?: boolean;
  /** Draw a progress line instead of event lines. */
  tty?: boolean;
  /** Leave Ctrl+C to the caller (which follows several runs) instead of stopping the wait. */
  callerHandlesInterrupt?: boolean;
}

/** Follows `run` until it ends or the timeout passes; returns its latest record. */
export async function waitForRun(
  client: AosClient,
  run: RunRecord,
  opts: WaitOptions = {},
): Promise<{ run: RunRecord; timedOut: boolean }> {
  const controller = new AbortController();
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(
    () => controller.abort(new Error("Wait timed out")),
    opts.timeoutMs,
  );
  const progress = opts.tty && !opts.quiet
    ? new Progress({
      maxIterations: run.max_iterations,
      write: writeText,
      columns: terminalColumns(),
    })
    : null;
  progress?.start();
  // Ctrl+C stops the waiting, not the run: say so, and how to get back to it.
  const onInterrupt = () => {
    progress?.stop();
    printNote(
      `\nStopped waiting; run ${run.id} keeps going. ` +
        `Follow it with \`aos logs ${run.id} --follow\` or stop it with \`aos cancel ${run.id}\``,
    );
    Deno.exit(EXIT.interrupted);
  };
  if (!opts.callerHandlesInterrupt) {
    Deno.addSignalListener("SIGINT", onInterrupt);
  }
  try {
    for await (
      const event of followEvents(client, run.id, { signal: controller.signal })
    ) {
      if (opts.quiet) continue;
      // The run is not over: --wait keeps waiting (bounded by --timeout) for a person's decision.
      if (event.kind === "AWAITING_APPROVAL") {
        const note =
          `Run ${run.id} passed and awaits approval before push; still waiting. ` +
          `Decide with \`aos approve ${run.id}\` or \`aos reject ${run.id} --comment "…"\``;
        if (progress) progress.print(formatEventLine(event));
        else printLine(formatEventLine(event));
        printNote(note);
        continue;
      }
      if (event.kind === "RUN_PAUSED") {
        if (progress) progress.print(formatEventLine(event));
        else printLine(formatEventLine(event));
        printNote(
          `Run ${run.id} is PAUSED at a budget; still waiting. ` +
            `Raise it with \`aos resume ${run.id} --tokens N\` (or --cost USD, --wall S)`,
        );
        continue;
      }
      if (!progress) {
        printLine(formatEventLine(event));
        continue;
      }
      progress.update(event);
      if (NOTABLE_KINDS.has(event.kind)) progress.print(formatEventLine(event));
      else progress.draw();
    }
    // RUN_END is written with the final status, but be tolerant of a lagging read.
    let latest = await client.getRun(run.id);
    while (!TERMINAL_STATUSES.has(latest.status)) {
      await delay(200, controller.signal);
      latest = await client.getRun(run.id);
    }
    return { run: latest, timedOut: false };
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    return { run: await client.getRun(run.id), timedOut: true };
  } finally {
    clearTimeout(timer);
    if (!opts.callerHandlesInterrupt) {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
    progress?.stop();
  }
}

/** Runs `submit`; returns the exit code. */
export async function submitCommand(
  file: string,
  opts: SubmitOptions,
): Promise<ExitCode> {
  if (opts.timeout !== undefined && !opts.wait) {
    // Without --wait nothing waits, so a timeout would silently mean nothing.
    throw inputError(
      "--timeout needs --wait: it limits how long to wait for the run (e.g. `aos submit task.md --wait --timeout 600`)",
    );
  }
  const checked = await readWorkOrderFile(file);
  const client = AosClient.fromEnv();
  const { run, created } = await client.submit(checked.source, {
    idempotencyKey: opts.idempotencyKey,
  });
  if (!opts.wait) {
    if (opts.json) printJson(run);
    else printLine(formatSubmitted(run, client.runLink(run.id)));
    if (!created && !opts.json) {
      printNote("(an earlier run with this idempotency key)");
    }
    return EXIT.succeeded;
  }
  if (!opts.json) {
    printLine(`Run:       ${run.id}`);
    printLine(`Link:      ${client.runLink(run.id)}`);
  }
  const waited = await waitForRun(client, run, {
    timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
    quiet: Boolean(opts.json),
    tty: stdoutIsTerminal(),
  });
  if (opts.json) {
    printJson(waited.run);
  } else {
    printLine();
    printLine(formatStatusBlock(waited.run, client.runLink(run.id)));
  }
  if (waited.timedOut && !TERMINAL_STATUSES.has(waited.run.status)) {
    printNote(
      `Timed out after ${opts.timeout} s waiting for run ${run.id} (still ${waited.run.status}); ` +
        `it keeps running: follow it with \`aos logs ${run.id} --follow\``,
    );
    return EXIT.timedOut;
  }
  return exitCodeForStatus(waited.run.status);
}
