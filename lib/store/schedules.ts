/**
 * Scheduled runs in KV (`schedule, id` under the store's prefix): what fires,
 * when it fires next, and what its last firing did. A firing advances
 * `next_at` with a versionstamp check in the commit that creates its run, so
 * of two processes only one fires a slot (DESIGN §4, `schedule_id`).
 */
import { z } from "zod";
import { NotFoundError } from "../errors.ts";
import type { Mutation } from "../../runtime/mod.ts";
import type { StoreKeys } from "./keys.ts";
import { applyMutations } from "./commit.ts";
import { StoredValueError } from "../factory/stored_value.ts";

/** Most schedules one service keeps (each tick reads them all). */
export const MAX_SCHEDULES = 1_000;

/** A stored schedule. */
export const scheduleSchema = z.object({
  id: z.string(),
  cron: z.string(),
  timezone: z.string(),
  work_order_md: z.string(),
  created_at: z.string(),
  /** The next slot due (ISO); null when the expression has no slot left. */
  next_at: z.string().nullable(),
  /** The slot last fired or skipped. */
  last_slot: z.string().nullable(),
  /** The run the last firing started. */
  last_run_id: z.string().nullable(),
  /** Slots skipped because the previous run was still active. */
  skipped: z.number().int(),
  /** Why the last firing could not start a run (the work order no longer valid…). */
  last_error: z.string().nullable(),
});
/** A stored schedule. */
export type Schedule = z.infer<typeof scheduleSchema>;

/** A schedule as read, with the versionstamp a firing checks. */
export interface ScheduleEntry {
  schedule: Schedule;
  versionstamp: string;
}

/** Reads and writes schedules. */
export class ScheduleStore {
  constructor(readonly kv: Deno.Kv, readonly keys: StoreKeys) {}

  /** Key of one schedule. */
  key(id: string): Deno.KvKey {
    return [...this.keys.prefix, "schedule", id];
  }

  #parse(value: unknown): Schedule {
    const parsed = scheduleSchema.safeParse(value);
    if (!parsed.success) {
      throw new StoredValueError("schedule", parsed.error);
    }
    return parsed.data;
  }

  /** Stores a new schedule; 409-free: ids are fresh. */
  async create(schedule: Schedule): Promise<void> {
    await applyMutations(this.kv, [
      { kind: "check", key: this.key(schedule.id), versionstamp: null },
      { kind: "set", key: this.key(schedule.id), value: schedule },
    ]);
  }

  /** Every schedule (at most MAX_SCHEDULES), oldest first, with versionstamps. */
  async entries(): Promise<ScheduleEntry[]> {
    const out: ScheduleEntry[] = [];
    const prefix = [...this.keys.prefix, "schedule"];
    for await (
      const entry of this.kv.list({ prefix }, { limit: MAX_SCHEDULES })
    ) {
      out.push({
        schedule: this.#parse(entry.value),
        versionstamp: entry.versionstamp,
      });
    }
    return out;
  }

  /** How many schedules there are (up to MAX_SCHEDULES). */
  async count(): Promise<number> {
    return (await this.entries()).length;
  }

  /** One schedule; NotFoundError when absent. */
  async get(id: string): Promise<Schedule> {
    const entry = await this.kv.get(this.key(id));
    if (entry.value === null) {
      throw new NotFoundError(`Schedule '${id}' not found`);
    }
    return this.#parse(entry.value);
  }

  /** Deletes a schedule; NotFoundError when absent. Runs it started are kept. */
  async delete(id: string): Promise<Schedule> {
    const entry = await this.kv.get(this.key(id));
    if (entry.value === null) {
      throw new NotFoundError(`Schedule '${id}' not found`);
    }
    await this.kv.delete(this.key(id));
    return this.#parse(entry.value);
  }

  /** Mutations replacing `entry` with `next`, failing the commit if another process changed it first. */
  advanceMutations(entry: ScheduleEntry, next: Schedule): Mutation[] {
    const key = this.key(entry.schedule.id);
    return [
      { kind: "check", key, versionstamp: entry.versionstamp },
      { kind: "set", key, value: next },
    ];
  }
}
