/** `aos schedule add|list|rm`: runs submitted on a cron schedule (POST /schedules). */
import { decodeWorkOrder } from "../lib/work_order/mod.ts";
import { AosClient } from "./client.ts";
import { EXIT, type ExitCode, inputError } from "./errors.ts";
import { printJson, printLine } from "./output.ts";

/** A schedule as the API returns it. */
export interface ScheduleView {
  id: string;
  cron: string;
  timezone: string;
  work_order_md: string;
  created_at: string;
  next_at: string | null;
  last_slot: string | null;
  last_run_id: string | null;
  skipped: number;
  last_error: string | null;
}

/** The title (or first line of the task) of a schedule's work order, for listings. */
function titleOf(md: string): string {
  const title = md.match(/^title:\s*["']?(.+?)["']?\s*$/m)?.[1];
  return (title ?? "").slice(0, 60);
}

/** One schedule as `Key: value` lines. */
export function formatSchedule(s: ScheduleView): string {
  const field = (label: string, value: string) =>
    `${`${label}:`.padEnd(11)}${value}`;
  return [
    field("Schedule", s.id),
    field("Cron", `${s.cron} (${s.timezone})`),
    field("Next", s.next_at ?? "- (no slot left)"),
    field("Last run", s.last_run_id ?? "-"),
    ...(s.skipped > 0 ? [field("Skipped", String(s.skipped))] : []),
    ...(s.last_error ? [field("Error", s.last_error)] : []),
  ].join("\n");
}

/** `aos schedule add FILE --cron EXPR [--timezone TZ]`. */
export async function scheduleAddCommand(
  file: string,
  opts: { cron: string; timezone?: string; json?: boolean },
): Promise<ExitCode> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    throw inputError(
      `Cannot read work order "${file}": ${
        error instanceof Deno.errors.NotFound
          ? "no such file"
          : error instanceof Error
          ? error.message
          : String(error)
      }`,
    );
  }
  const { body } = await AosClient.fromEnv().json<ScheduleView>(
    "/schedules",
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        cron: opts.cron,
        ...(opts.timezone ? { timezone: opts.timezone } : {}),
        work_order_md: decodeWorkOrder(bytes),
      }),
    },
  );
  if (opts.json) printJson(body);
  else printLine(formatSchedule(body));
  return EXIT.succeeded;
}

/** `aos schedule list`. */
export async function scheduleListCommand(
  opts: { json?: boolean },
): Promise<ExitCode> {
  const { body } = await AosClient.fromEnv().json<
    { schedules: ScheduleView[] }
  >("/schedules");
  if (opts.json) {
    printJson(body.schedules);
    return EXIT.succeeded;
  }
  if (body.schedules.length === 0) {
    printLine("No schedules");
    return EXIT.succeeded;
  }
  printLine(
    `${"ID".padEnd(38)}${"CRON".padEnd(20)}${"NEXT".padEnd(26)}TITLE`,
  );
  for (const s of body.schedules) {
    printLine(
      `${s.id.padEnd(38)}${`${s.cron} ${s.timezone}`.padEnd(20)}${
        (s.next_at ?? "-").padEnd(26)
      }${titleOf(s.work_order_md)}`,
    );
  }
  return EXIT.succeeded;
}

/** `aos schedule rm ID`. */
export async function scheduleRemoveCommand(
  id: string,
  opts: { json?: boolean },
): Promise<ExitCode> {
  const { body } = await AosClient.fromEnv().json<ScheduleView>(
    `/schedules/${encodeURIComponent(id)}`,
    { method: "DELETE" },
  );
  if (opts.json) printJson(body);
  else printLine(`Deleted schedule ${body.id} (its runs are kept)`);
  return EXIT.succeeded;
}
