/** Reads a work order file and validates it with the server's own rules. */
import { ValidationError } from "../lib/errors.ts";
import {
  decodeWorkOrder,
  parseWorkOrder,
  type WorkOrder,
} from "../lib/work_order/mod.ts";
import { inputError } from "./errors.ts";

/** A work order file that passed validation. */
export interface CheckedWorkOrder {
  path: string;
  /** The file's text (its byte order mark dropped), sent to the server as-is. */
  source: string;
  workOrder: WorkOrder;
}

/** Reads and validates `path`; unreadable or invalid ⇒ `CliError` (exit 2). */
export async function readWorkOrderFile(
  path: string,
): Promise<CheckedWorkOrder> {
  // Bytes, not readTextFile: that would turn invalid UTF-8 into U+FFFD and
  // drop a byte order mark, so the file checked would not be the file given.
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : err instanceof Error
      ? err.message
      : String(err);
    throw inputError(`Cannot read work order "${path}": ${reason}`);
  }
  try {
    const workOrder = parseWorkOrder(bytes);
    return { path, source: decodeWorkOrder(bytes), workOrder };
  } catch (err) {
    if (err instanceof ValidationError) {
      throw inputError(
        `Invalid work order "${path}"`,
        err.issues.map((i) => i.field ? `${i.field}: ${i.message}` : i.message),
        err.issues,
      );
    }
    throw inputError(
      `Invalid work order "${path}": ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
}

/** The `validate` report: `OK: <title or file>` and the effective settings. */
export function formatValidWorkOrder(checked: CheckedWorkOrder): string {
  const wo = checked.workOrder;
  const rows: [string, string][] = [
    ["repo", wo.repo],
    ["clone_branch", wo.clone_branch],
    ["push_branch", wo.push_branch ?? "- (no push)"],
    ["max_iterations", String(wo.max_iterations)],
    ["acceptance_commands", String(wo.acceptance_commands?.length ?? 0)],
  ];
  return [
    `OK: ${wo.title || checked.path}`,
    ...rows.map(([key, value]) => `  ${`${key}:`.padEnd(21)}${value}`),
  ].join("\n");
}
