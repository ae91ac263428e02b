/** The read and control commands: status, logs, list, cancel, approve, reject, artifacts, validate. */
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import {
  formatArtifactTable,
  formatEventLine,
  formatRunTable,
  formatStatusBlock,
} from "./format.ts";
import { printJson, printLine, printNote, writeStdout } from "./output.ts";
import { followEvents } from "./sse.ts";
import { formatValidWorkOrder, readWorkOrderFile } from "./work_order_file.ts";

/** `--json` alone. */
export interface JsonOption {
  json?: boolean;
}

/** `aos status ID`. */
export async function statusCommand(
  id: string,
  opts: JsonOption,
): Promise<ExitCode> {
  const client = AosClient.fromEnv();
  const run = await client.getRun(id);
  if (opts.json) printJson(run);
  else printLine(formatStatusBlock(run, client.runLink(run.id)));
  return EXIT.succeeded;
}

/** `aos logs ID [--follow]`: event lines, or JSON (an array; one object per line with --follow). */
export async function logsCommand(
  id: string,
  opts: JsonOption & { follow?: boolean },
): Promise<ExitCode> {
  const client = AosClient.fromEnv();
  if (opts.follow) {
    for await (const event of followEvents(client, id)) {
      printLine(opts.json ? JSON.stringify(event) : formatEventLine(event));
    }
    return EXIT.succeeded;
  }
  const events = await client.listEvents(id);
  if (opts.json) printJson(events);
  else if (!events.length) printNote(`No events for run ${id} yet`);
  else for (const event of events) printLine(formatEventLine(event));
  return EXIT.succeeded;
}

/** `aos list [--status S] [--limit N] [--offset N]`. */
export async function listCommand(
  opts: JsonOption & { status?: string; limit?: number; offset?: number },
): Promise<ExitCode> {
  const page = await AosClient.fromEnv().listRuns(opts);
  if (opts.json) {
    printJson(page);
    return EXIT.succeeded;
  }
  if (!page.runs.length) {
    printNote(opts.status ? `No ${opts.status} runs` : "No runs");
    return EXIT.succeeded;
  }
  printLine(formatRunTable(page.runs));
  const first = page.offset + 1;
  const lastShown = page.offset + page.runs.length;
  if (page.total > page.runs.length) {
    printNote(
      `Showing ${first}–${lastShown} of ${page.total} runs (use --limit/--offset for more)`,
    );
  }
  return EXIT.succeeded;
}

/** `aos cancel ID`: prints the run as the server left it. */
export async function cancelCommand(
  id: string,
  opts: JsonOption,
): Promise<ExitCode> {
  const { run, stopped } = await AosClient.fromEnv().cancel(id);
  if (opts.json) printJson(run);
  else printLine(formatStatusBlock(run));
  if (!stopped) {
    printNote(
      `Cancellation requested; run ${id} is still ${run.status}. ` +
        `Check again with \`aos status ${id}\``,
    );
  }
  return EXIT.succeeded;
}

/** `aos approve ID [--comment C]` / `aos reject ID [--comment C]`: prints the run as the server left it. */
export async function decideCommand(
  action: "approve" | "reject",
  id: string,
  opts: JsonOption & { comment?: string },
): Promise<ExitCode> {
  const { run, applied } = await AosClient.fromEnv().decide(
    id,
    action,
    opts.comment,
  );
  if (opts.json) printJson(run);
  else printLine(formatStatusBlock(run));
  if (run.follow_up_run_id && !opts.json) {
    printLine(`Follow-up: ${run.follow_up_run_id}`);
  }
  if (!applied) {
    printNote(
      `Decision recorded; run ${id} is still ${run.status}. ` +
        `Check again with \`aos status ${id}\``,
    );
  }
  return EXIT.succeeded;
}

/** `aos artifacts ID [NAME] [-o FILE]`: list, or download one (to stdout or FILE). */
export async function artifactsCommand(
  id: string,
  name: string | undefined,
  opts: JsonOption & { output?: string },
): Promise<ExitCode> {
  const client = AosClient.fromEnv();
  if (name === undefined) {
    const artifacts = await client.listArtifacts(id);
    if (opts.json) printJson(artifacts);
    else if (!artifacts.length) printNote(`No artifacts for run ${id}`);
    else printLine(formatArtifactTable(artifacts));
    return EXIT.succeeded;
  }
  const bytes = await client.downloadArtifact(id, name);
  if (opts.output === undefined || opts.output === "-") {
    writeStdout(bytes);
    return EXIT.succeeded;
  }
  try {
    await Deno.writeFile(opts.output, bytes);
  } catch (err) {
    throw inputError(
      `Cannot write "${opts.output}": ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  if (opts.json) printJson({ name, bytes: bytes.length, path: opts.output });
  else printLine(`Saved ${name} (${bytes.length} bytes) to ${opts.output}`);
  return EXIT.succeeded;
}

/** `aos validate FILE`: checks a work order without a server. */
export async function validateCommand(
  file: string,
  opts: JsonOption,
): Promise<ExitCode> {
  const checked = await readWorkOrderFile(file);
  if (opts.json) printJson({ ok: true, file, work_order: checked.workOrder });
  else printLine(formatValidWorkOrder(checked));
  return EXIT.succeeded;
}
