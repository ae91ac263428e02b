/**
 * Fires scheduled runs (POST /schedules). Every process ticks (each second by
 * default); a due schedule's run is created in one commit with the schedule's
 * advance to its next slot, that commit checked against the schedule's
 * versionstamp and an idempotency key per slot, so of any number of processes
 * on one KV (SQLite file, KV Connect or PostgreSQL) exactly one fires a slot.
 * The next slot is the first after *now*: slots missed while no process ran
 * collapse into one firing at start-up. A schedule whose last run is still
 * active skips the slot and says so in that run's log (`SCHEDULE_SKIPPED`).
 */
import { CommitConflictError } from "../../runtime/mod.ts";
import { ConflictError, ValidationError } from "../../lib/errors.ts";
import { nextSlot } from "../../lib/schedule/mod.ts";
import {
  applyMutations,
  nextSeq,
  type RunStore,
  TERMINAL_STATUSES,
} from "../../lib/store/mod.ts";
import type {
  Schedule,
  ScheduleEntry,
  ScheduleStore,
} from "../../lib/store/mod.ts";
import type { RunService } from "./service.ts";

/** What one due schedule's tick did. */
export type Firing =
  | { schedule_id: string; slot: string; outcome: "fired"; run_id: string }
  | { schedule_id: string; slot: string; outcome: "skipped"; run_id: string }
  | { schedule_id: string; slot: string; outcome: "invalid"; error: string }
  /** Another process fired (or changed) it first. */
  | { schedule_id: string; slot: string; outcome: "taken" };

/** Options of the Scheduler. */
export interface SchedulerOptions {
  schedules: ScheduleStore;
  store: RunStore;
  runs: RunService;
  /** The clock (ms); tests move it instead of waiting for a slot. */
  now?: () => number;
  log?: (line: string) => void;
}

/** Ticks over the schedules and fires those due. */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  /** Fires every schedule due at the clock's now; what each did. */
  async tick(): Promise<Firing[]> {
    const now = this.#opts.now?.() ?? Date.now();
    const firings: Firing[] = [];
    for (const entry of await this.#opts.schedules.entries()) {
      const due = entry.schedule.next_at;
      if (due === null || Date.parse(due) > now) continue;
      firings.push(await this.#fire(entry, now));
    }
    return firings;
  }

  /** Ticks now and every `intervalMs` until `stop`, never two ticks at once. */
  start(intervalMs: number): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#running = this.tick().then(
        (firings) => firings.forEach((f) => this.#logFiring(f)),
        (error) => this.#opts.log?.(`Scheduler tick failed: ${error}`),
      ).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, intervalMs);
      });
    };
    loop();
  }

  /** Stops ticking and waits for a tick in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running.catch(() => {});
  }

  async #fire(entry: ScheduleEntry, now: number): Promise<Firing> {
    const { schedule } = entry;
    const slot = schedule.next_at!;
    const base = { schedule_id: schedule.id, slot };
    const advanced: Schedule = {
      ...schedule,
      next_at: nextSlot(schedule.cron, schedule.timezone, new Date(now))
        ?.toISOString() ?? null,
      last_slot: slot,
    };
    const { schedules, store, runs } = this.#opts;
    const last = schedule.last_run_id
      ? await store.findRun(schedule.last_run_id)
      : null;
    try {
      if (last && !TERMINAL_STATUSES.has(last.status)) {
        const seq = nextSeq();
        const mutations = [
          ...schedules.advanceMutations(entry, {
            ...advanced,
            skipped: schedule.skipped + 1,
          }),
          {
            kind: "set" as const,
            key: store.eventKey(last.id, seq),
            value: {
              seq,
              ts: new Date().toISOString(),
              level: "WARN",
              kind: "SCHEDULE_SKIPPED",
              iteration: null,
              payload: {
                schedule_id: schedule.id,
                slot,
                status: last.status,
                message:
                  `Schedule ${schedule.id} skipped its ${slot} slot: this run, its previous one, is still ${last.status}`,
              },
            },
          },
        ];
        await applyMutations(store.kv, mutations);
        store.noteWrites(mutations);
        return { ...base, outcome: "skipped", run_id: last.id };
      }
      const { run } = await runs.submit(
        { workOrderMd: schedule.work_order_md },
        {
          // The same slot from two processes (or a retry) is one run.
          idempotencyKey: `aos-schedule:${schedule.id}:${slot}`,
          scheduleId: schedule.id,
          extra: (runId) =>
            schedules.advanceMutations(entry, {
              ...advanced,
              last_run_id: runId,
              last_error: null,
            }),
        },
      );
      return { ...base, outcome: "fired", run_id: run.id };
    } catch (error) {
      if (
        error instanceof CommitConflictError || error instanceof ConflictError
      ) {
        return { ...base, outcome: "taken" };
      }
      if (!(error instanceof ValidationError)) throw error;
      // The work order no longer passes (an allowlist changed): said on the schedule, slot passed.
      try {
        await applyMutations(
          store.kv,
          schedules.advanceMutations(entry, {
            ...advanced,
            last_error: error.message,
          }),
        );
      } catch (conflict) {
        if (!(conflict instanceof ConflictError)) throw conflict;
        return { ...base, outcome: "taken" };
      }
      return { ...base, outcome: "invalid", error: error.message };
    }
  }

  #logFiring(firing: Firing): void {
    const log = this.#opts.log;
    if (!log || firing.outcome === "taken") return;
    const detail = firing.outcome === "invalid"
      ? `error="${firing.error}"`
      : `run=${firing.run_id}`;
    log(
      `SCHEDULE_${firing.outcome.toUpperCase()} schedule=${firing.schedule_id} slot=${firing.slot} ${detail}`,
    );
  }
}
