/** `aos resume ID --tokens N [--cost USD] [--wall S]`: go on with a run a budget PAUSED. */
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import { formatStatusBlock } from "./format.ts";
import { printJson, printLine, printNote } from "./output.ts";

/** Options of `aos resume`. */
export interface ResumeOptions {
  tokens?: number;
  cost?: number;
  wall?: number;
  json?: boolean;
}

/** Sends the raised limits; the server refuses (422) limits still reached and any run not PAUSED (409). */
export async function resumeCommand(
  id: string,
  opts: ResumeOptions,
): Promise<ExitCode> {
  const limits = {
    ...(opts.tokens === undefined ? {} : { max_total_tokens: opts.tokens }),
    ...(opts.cost === undefined ? {} : { max_cost_usd: opts.cost }),
    ...(opts.wall === undefined ? {} : { max_wall_time_s: opts.wall }),
  };
  if (Object.keys(limits).length === 0) {
    throw inputError(
      "Give at least one new limit: --tokens N, --cost USD or --wall S",
    );
  }
  const { run, applied } = await AosClient.fromEnv().resume(id, limits);
  if (opts.json) printJson(run);
  else printLine(formatStatusBlock(run));
  if (!applied) {
    printNote(
      `Resume recorded; run ${id} is still ${run.status}. ` +
        `Check again with \`aos status ${id}\``,
    );
  }
  return EXIT.succeeded;
}
