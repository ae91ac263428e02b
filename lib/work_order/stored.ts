/** A work order read back from the store, parsed with today's defaults. */
import { StoredValueError } from "../factory/stored_value.ts";
import { workOrderFieldsSchema } from "./schema.ts";
import type { WorkOrder } from "./parse.ts";

/**
 * The work order stored with run `runId` at submit, parsed by the schema:
 * a field added since it was stored reads back as its default (runs in flight
 * across an upgrade), and a value that does not parse is a StoredValueError
 * naming the run's work order, never a cast.
 */
export function storedWorkOrder(stored: unknown, runId: string): WorkOrder {
  const parsed = workOrderFieldsSchema.safeParse(stored);
  if (!parsed.success) {
    throw new StoredValueError(`work order of run '${runId}'`, parsed.error);
  }
  return parsed.data;
}
