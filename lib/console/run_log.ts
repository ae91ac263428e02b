/**
 * The operator's console: one line per run state change (status or
 * iteration) as the commit that made it lands, and one per failure, as text
 * or as one JSON object per line (AOS_LOG_FORMAT=json). Every line goes
 * through the one Redactor.
 */
import type { Mutation } from "../../runtime/mod.ts";
import type { Redactor } from "../redact.ts";
import { type RunRecord, runRecordSchema } from "../store/mod.ts";

/** `text` lines or one JSON object per line. */
export type LogFormat = "text" | "json";

/** How many runs' last logged state are remembered (a bound, so a flood of runs cannot grow it). */
const REMEMBERED_RUNS = 2048;

/** Writes the service's log lines in the configured format. */
export class ConsoleLog {
  readonly #write: (line: string) => void;
  readonly #format: LogFormat;
  readonly #redactor: Redactor;
  readonly #isRunKey: (key: Deno.KvKey) => boolean;
  /** Run id → `status/iteration` last logged. */
  readonly #last = new Map<string, string>();

  constructor(opts: {
    write: (line: string) => void;
    format: LogFormat;
    redactor: Redactor;
    /** Whether a key is a run record's (RunStore.keys.runIdOf(key) !== null). */
    isRunKey: (key: Deno.KvKey) => boolean;
  }) {
    this.#write = opts.write;
    this.#format = opts.format;
    this.#redactor = opts.redactor;
    this.#isRunKey = opts.isRunKey;
  }

  /** A free-form line (banner, warnings, sweeps); `WARNING:`/`ERROR:` prefixes set the JSON level. */
  line(text: string): void {
    const message = this.#redactor.redact(text);
    if (this.#format === "text") return this.#write(message);
    const level = /^(WARNING|WARN)\b/.test(message)
      ? "warn"
      : /^ERROR\b/.test(message)
      ? "error"
      : "info";
    this.#write(JSON.stringify({
      ts: new Date().toISOString(),
      level,
      msg: message,
    }));
  }

  /** The runtime's `afterWrites`: logs the run records a landed commit changed. */
  noteWrites(writes: readonly Mutation[], committed: boolean): void {
    if (!committed) return;
    for (const m of writes) {
      if (m.kind !== "set" || !this.#isRunKey(m.key)) continue;
      const parsed = runRecordSchema.safeParse(m.value);
      if (parsed.success) this.run(parsed.data);
    }
  }

  /** Logs `run` when its status or iteration differs from what was last logged for it. */
  run(run: RunRecord): void {
    const state = `${run.status}/${run.iteration}`;
    if (this.#last.get(run.id) === state) return;
    this.#last.delete(run.id);
    this.#last.set(run.id, state);
    if (this.#last.size > REMEMBERED_RUNS) {
      this.#last.delete(this.#last.keys().next().value!);
    }
    const failed = run.status === "FAILED";
    const fields = this.#redactor.redactDeep({
      run_id: run.id,
      title: run.title,
      status: run.status,
      iteration: run.iteration,
      ...(run.push_branch ? { push_branch: run.push_branch } : {}),
      ...(failed && run.error ? { error: run.error } : {}),
      ...(run.result_summary && run.finished_at
        ? { result: run.result_summary }
        : {}),
    });
    if (this.#format === "json") {
      this.#write(JSON.stringify({
        ts: new Date().toISOString(),
        level: failed ? "error" : "info",
        msg: "run",
        ...fields,
      }));
      return;
    }
    const parts = [
      `RUN ${fields.run_id}`,
      fields.status,
      `iter=${fields.iteration}`,
      `title=${JSON.stringify(fields.title ?? "")}`,
      ...(fields.result ? [`result=${JSON.stringify(fields.result)}`] : []),
      ...(fields.error
        ? [`error=${JSON.stringify(oneLine(fields.error))}`]
        : []),
    ];
    this.#write(`${failed ? "ERROR: " : ""}${parts.join(" ")}`);
  }
}

/** A message on one line, cut at 500 characters (the run's record keeps it whole). */
function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ");
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}
