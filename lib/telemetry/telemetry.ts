/**
 * Where the service's metrics and traces are fed, from the few places things
 * are already recorded: the writes that land in the store (every run record
 * and event, whichever actor wrote it), the model client's end of each call,
 * and the runtime's dispatch. No actor calls this directly.
 */
import type { ModelCall } from "../llm/mod.ts";
import type { CommittedWrites, RunEvent, WrittenRun } from "../store/mod.ts";
import { TERMINAL_STATUSES } from "../store/mod.ts";
import type { Agent, CommandSource, Metrics } from "./metrics.ts";
import { currentRunScope } from "./scope.ts";
import { runParts } from "./timeline.ts";
import { partSpanId, type RunTrace, runTrace } from "./trace_ids.ts";
import type { Tracing } from "./tracing.ts";

/** What telemetry reads back from the store. */
export interface TelemetryStore {
  findRun(id: string): Promise<WrittenRun | null>;
  listEvents(runId: string): Promise<RunEvent[]>;
}

/** Runs whose trace ids are remembered (a bound, so a flood of runs cannot grow it). */
const REMEMBERED_RUNS = 1024;
/** Longest command text a span keeps. */
const MAX_COMMAND_CHARS = 200;

/** The metrics and (when configured) the tracer of one process. */
export class Telemetry {
  readonly metrics: Metrics;
  readonly tracing: Tracing | null;
  readonly #store: TelemetryStore;
  readonly #log: (line: string) => void;
  readonly #traces = new Map<string, RunTrace>();
  /** Work started by landed writes (run ends read the log back); awaited by `settle`. */
  readonly #pending = new Set<Promise<void>>();

  constructor(opts: {
    metrics: Metrics;
    tracing: Tracing | null;
    store: TelemetryStore;
    log?: (line: string) => void;
  }) {
    this.metrics = opts.metrics;
    this.tracing = opts.tracing;
    this.#store = opts.store;
    this.#log = opts.log ?? (() => {});
  }

  /** The store's observer: what landed, as it landed. */
  readonly committed = (writes: CommittedWrites): void => {
    for (const run of writes.runs) this.#remember(run);
    for (const { runId, event } of writes.events) {
      this.#event(runId, event, writes.runs.find((r) => r.id === runId));
    }
  };

  /** One model call of `agent` ended (the model client's `onCall`). */
  modelCall(agent: Agent, call: ModelCall): void {
    this.metrics.modelCall(agent, call);
    const scope = currentRunScope();
    if (!this.tracing || !scope) return;
    const trace = runTrace({ id: scope.runId, traceparent: scope.traceparent });
    const usage = call.usage;
    this.tracing.span({
      trace,
      name: "model.call",
      parentId: partSpanId(
        trace,
        `${scope.agent === "se" ? "se" : "po"}/${scope.iteration}`,
      ),
      start: call.startedAt,
      end: call.startedAt + call.durationMs,
      attributes: {
        "aos.run_id": scope.runId,
        "aos.iteration": scope.iteration,
        "aos.agent": agent,
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": call.model,
        "aos.model.retries": call.retries.length,
        ...(usage
          ? {
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
          }
          : {}),
        ...(call.errorKind ? { "error.type": call.errorKind } : {}),
      },
      error: call.errorKind,
    });
  }

  /** Waits for the work landed writes started (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Sends what the tracer holds and stops it. */
  async close(): Promise<void> {
    await this.settle();
    await this.tracing?.shutdown();
  }

  #remember(run: WrittenRun): void {
    if (this.#traces.has(run.id)) return;
    this.#traces.set(run.id, runTrace(run));
    if (this.#traces.size > REMEMBERED_RUNS) {
      this.#traces.delete(this.#traces.keys().next().value!);
    }
  }

  #event(runId: string, event: RunEvent, run: WrittenRun | undefined): void {
    const p = event.payload;
    const durationMs = typeof p.duration_ms === "number" ? p.duration_ms : null;
    switch (event.kind) {
      case "CMD_RESULT":
        return this.#command(runId, event, "acceptance", durationMs);
      case "SE_COMMAND":
        return this.#command(runId, event, "se", durationMs);
      case "SETUP_RESULT":
        return this.#command(runId, event, "setup", durationMs);
      case "SE_STEP":
        return this.#traced(runId, (trace) => {
          const end = Date.parse(event.ts);
          this.tracing!.span({
            trace,
            name: "tool.call",
            parentId: partSpanId(trace, `se/${event.iteration}`),
            start: end - (durationMs ?? 0),
            end,
            attributes: {
              "aos.run_id": runId,
              "aos.iteration": event.iteration ?? 0,
              "aos.tool": String(p.tool ?? "").slice(0, 64),
              "aos.step": typeof p.step === "number" ? p.step : 0,
              "aos.tool.ok": p.ok === true,
            },
            error: p.ok === true ? null : String(p.reason ?? "failed"),
          });
        });
      case "WEBHOOK_DELIVERED":
        return this.metrics.webhook("delivered");
      case "WEBHOOK_FAILED":
        return this.metrics.webhook(p.final === true ? "failed" : "retried");
      case "RUN_END":
        return this.#track(this.#runEnded(runId, event, run));
    }
  }

  #command(
    runId: string,
    event: RunEvent,
    source: CommandSource,
    durationMs: number | null,
  ): void {
    const p = event.payload;
    const exitCode = typeof p.exit_code === "number" ? p.exit_code : null;
    const outcome = p.timed_out === true
      ? "timed_out"
      : exitCode === 0
      ? "ok"
      : "failed";
    if (durationMs !== null) {
      this.metrics.command(source, outcome, durationMs / 1000);
    }
    this.#traced(runId, (trace) => {
      const end = Date.parse(event.ts);
      const parent = source === "setup"
        ? "setup"
        : `${source === "se" ? "se" : "apply"}/${event.iteration}`;
      this.tracing!.span({
        trace,
        name: "command",
        parentId: partSpanId(trace, parent),
        start: end - (durationMs ?? 0),
        end,
        attributes: {
          "aos.run_id": runId,
          "aos.command.source": source,
          "aos.command": String(p.command ?? "").slice(0, MAX_COMMAND_CHARS),
          ...(exitCode !== null ? { "process.exit.code": exitCode } : {}),
          ...(event.iteration !== null
            ? { "aos.iteration": event.iteration }
            : {}),
        },
        error: outcome === "ok" ? null : outcome,
      });
    });
  }

  /** Runs `write` with the run's trace ids once they are known (tracing on only). */
  #traced(runId: string, write: (trace: RunTrace) => void): void {
    if (!this.tracing) return;
    const known = this.#traces.get(runId);
    if (known) return write(known);
    this.#track(
      this.#store.findRun(runId).then((run) => {
        if (run) {
          this.#remember(run);
          write(runTrace(run));
        }
      }),
    );
  }

  /** A run ended: its outcome and duration, then its parts read back from its log. */
  async #runEnded(
    runId: string,
    event: RunEvent,
    written: WrittenRun | undefined,
  ): Promise<void> {
    const run = written && TERMINAL_STATUSES.has(written.status)
      ? written
      : await this.#store.findRun(runId);
    const status = typeof event.payload.status === "string"
      ? event.payload.status
      : run?.status ?? "UNKNOWN";
    const from = Date.parse(run?.started_at ?? run?.created_at ?? "");
    const to = Date.parse(run?.finished_at ?? event.ts);
    const seconds = Number.isFinite(from) && Number.isFinite(to)
      ? Math.max(0, (to - from) / 1000)
      : null;
    this.metrics.runEnded(status, seconds);
    const parts = runParts(await this.#store.listEvents(runId));
    for (const part of parts) {
      const secs = Math.max(0, (part.end - part.start) / 1000);
      if (part.name === "iteration") {
        const decision = part.attributes["aos.decision"];
        this.metrics.iteration(
          decision === "PASS" || decision === "FAIL" ? decision : "none",
          secs,
        );
      } else if (part.name === "setup") {
        this.metrics.setup(secs);
      }
    }
    if (!this.tracing || !run) return;
    const trace = runTrace(run);
    const created = Date.parse(run.created_at);
    // A step's events are stamped at its commit, a moment after the record's
    // finished_at: the run's span ends at whichever is later, so it holds them.
    const end = Math.max(
      Number.isFinite(to) ? to : created,
      ...parts.map((p) => p.end),
    );
    this.tracing.span({
      trace,
      name: "run",
      spanId: trace.spanId,
      parentId: null,
      start: created,
      end,
      attributes: {
        "aos.run_id": runId,
        "aos.status": status,
        "aos.iterations": run.iteration,
        "aos.usage.total_tokens": run.usage.total_tokens,
        "aos.usage.cost_usd": run.usage.cost_usd,
        ...(run.parent_run_id
          ? { "aos.parent_run_id": run.parent_run_id }
          : {}),
      },
      error: status === "FAILED" ? run.error ?? "failed" : null,
    });
    for (const part of parts) {
      this.tracing.span({
        trace,
        name: part.name,
        spanId: partSpanId(trace, part.key),
        parentId: part.parent === null
          ? trace.spanId
          : partSpanId(trace, part.parent),
        start: part.start,
        end: part.end,
        attributes: { "aos.run_id": runId, ...part.attributes },
      });
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) =>
      this.#log(`Telemetry: ${error instanceof Error ? error.message : error}`)
    ).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
