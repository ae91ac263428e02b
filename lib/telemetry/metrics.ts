/**
 * The service's Prometheus metrics (prom-client): what a process did (counters
 * and histograms it keeps as runs go) and what it holds now (gauges read when
 * scraped). Names follow Prometheus conventions: `aos_` prefix, base units,
 * `_total` counters, bounded label values — never a run id, and model names
 * through a BoundedLabels.
 */
import client from "prom-client";
import { estimateCostUsd, type ModelCall } from "../llm/mod.ts";
import { BoundedLabels } from "./labels.ts";

/** Seconds buckets of things that take minutes to hours (runs, iterations, setup). */
const LONG_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
/** Seconds buckets of one model call or one command. */
const CALL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds buckets of one actor message's wait for dispatch. */
const HOP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** Distinct model label values kept beyond the configured models. */
const MODEL_LABEL_CAP = 20;

/** The agents that call models. */
export type Agent = "se" | "po";

/** Where a command ran. */
export type CommandSource = "setup" | "se" | "acceptance";

/** What the gauges read when scraped; each source is cheap (counters, memory). */
export interface GaugeSources {
  /** Runs by status, store-wide (the store's atomic counters). */
  runCounts(): Promise<Record<string, number>>;
  /** This process's runtime, or null in an API-only process. */
  runtime(): {
    mailboxBacklog: Record<string, number>;
    heavyRunning: number;
    heavyCap: number;
    heavyWaiting: number;
  } | null;
  /** Bytes of the caches under WORKSPACE_ROOT, and the workspaces on disk, as last measured. */
  disk(): Promise<
    { mirrorBytes: number; environmentBytes: number; workspaces: number } | null
  >;
}

/** One process's metrics registry. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly #models: BoundedLabels;

  readonly #runsFinished = new client.Counter({
    name: "aos_runs_finished_total",
    help: "Runs this process ended, by final status",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly #runDuration = new client.Histogram({
    name: "aos_run_duration_seconds",
    help: "From a run's start (or creation) to its end, by final status",
    labelNames: ["status"] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });
  readonly #iterationDuration = new client.Histogram({
    name: "aos_iteration_duration_seconds",
    help:
      "One iteration (SE turn, apply and acceptance commands, PO review), by the PO's decision (none when the run ended first)",
    labelNames: ["decision"] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });
  readonly #setupDuration = new client.Histogram({
    name: "aos_setup_duration_seconds",
    help:
      "A run's preparation: from its start to its workspace being ready (checkout, setup commands or a restored environment)",
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });
  readonly #modelCallDuration = new client.Histogram({
    name: "aos_model_call_duration_seconds",
    help: "One model call, retries included, by agent, model and outcome",
    labelNames: ["agent", "model", "outcome"] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  readonly #modelTokens = new client.Counter({
    name: "aos_model_tokens_total",
    help:
      "Tokens the model calls used, by agent, model and type (prompt, completion; cached and reasoning are parts of those)",
    labelNames: ["agent", "model", "type"] as const,
    registers: [this.registry],
  });
  readonly #modelCost = new client.Counter({
    name: "aos_model_cost_usd_total",
    help: "Estimated cost of the model calls in US dollars, by agent and model",
    labelNames: ["agent", "model"] as const,
    registers: [this.registry],
  });
  readonly #modelErrors = new client.Counter({
    name: "aos_model_errors_total",
    help: "Model calls that failed, by agent, model and kind",
    labelNames: ["agent", "model", "kind"] as const,
    registers: [this.registry],
  });
  readonly #modelRetries = new client.Counter({
    name: "aos_model_retries_total",
    help: "Failed model attempts that were retried, by agent, model and kind",
    labelNames: ["agent", "model", "kind"] as const,
    registers: [this.registry],
  });
  readonly #commandDuration = new client.Histogram({
    name: "aos_command_duration_seconds",
    help:
      "One command in the sandbox, by source (setup, se, acceptance) and outcome (ok, failed, timed_out)",
    labelNames: ["source", "outcome"] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  readonly #webhooks = new client.Counter({
    name: "aos_webhook_deliveries_total",
    help:
      "Webhook delivery attempts, by result (delivered, retried, failed: given up)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly #hopLatency = new client.Histogram({
    name: "aos_actor_hop_latency_seconds",
    help:
      "How long an actor message waited from being sent (or falling due) until its handler was dispatched, by actor type",
    labelNames: ["actor"] as const,
    buckets: HOP_BUCKETS,
    registers: [this.registry],
  });

  constructor(opts: { sources: GaugeSources; models?: readonly string[] }) {
    this.#models = new BoundedLabels({
      cap: MODEL_LABEL_CAP,
      known: opts.models ?? [],
    });
    const { sources } = opts;
    const r = this.registry;
    new client.Gauge({
      name: "aos_runs",
      help: "Runs in the store by status (store-wide, from its counters)",
      labelNames: ["status"] as const,
      registers: [r],
      async collect() {
        const counts = await sources.runCounts();
        for (const [status, n] of Object.entries(counts)) {
          if (status !== "total") this.set({ status }, n);
        }
      },
    });
    const runtimeGauge = (
      name: string,
      help: string,
      read: (stats: NonNullable<ReturnType<GaugeSources["runtime"]>>) => number,
    ) =>
      new client.Gauge({
        name,
        help,
        registers: [r],
        collect() {
          const stats = sources.runtime();
          if (stats) this.set(read(stats));
        },
      });
    runtimeGauge(
      "aos_worker_slots",
      "Steps of runs this process may execute at once (AOS_MAX_RUNS)",
      (s) => s.heavyCap,
    );
    runtimeGauge(
      "aos_worker_slots_busy",
      "Steps of runs executing in this process now",
      (s) => s.heavyRunning,
    );
    runtimeGauge(
      "aos_worker_slot_waiting",
      "Steps of runs in this process waiting for a worker slot",
      (s) => s.heavyWaiting,
    );
    new client.Gauge({
      name: "aos_actor_mailbox_backlog",
      help:
        "Messages waiting in the mailboxes of the actors this process holds, by actor type",
      labelNames: ["actor"] as const,
      registers: [r],
      collect() {
        const stats = sources.runtime();
        if (!stats) return;
        for (const [actor, n] of Object.entries(stats.mailboxBacklog)) {
          this.set({ actor }, n);
        }
      },
    });
    new client.Gauge({
      name: "aos_cache_bytes",
      help:
        "Bytes on disk of this process's caches under WORKSPACE_ROOT (mirrors: repository mirrors; environments: cached setup results), as last measured",
      labelNames: ["cache"] as const,
      registers: [r],
      async collect() {
        const disk = await sources.disk();
        if (!disk) return;
        this.set({ cache: "mirrors" }, disk.mirrorBytes);
        this.set({ cache: "environments" }, disk.environmentBytes);
      },
    });
    new client.Gauge({
      name: "aos_workspaces",
      help: "Run workspaces on this process's disk, as last counted",
      registers: [r],
      async collect() {
        const disk = await sources.disk();
        if (disk) this.set(disk.workspaces);
      },
    });
  }

  /** The text exposition of every metric. */
  async render(): Promise<string> {
    return await this.registry.metrics();
  }

  /** The content type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** A run ended with `status` after `seconds` (null when its times are unknown). */
  runEnded(status: string, seconds: number | null): void {
    this.#runsFinished.inc({ status });
    if (seconds !== null) this.#runDuration.observe({ status }, seconds);
  }

  /** One iteration took `seconds`. */
  iteration(decision: "PASS" | "FAIL" | "none", seconds: number): void {
    this.#iterationDuration.observe({ decision }, seconds);
  }

  /** A run's preparation took `seconds`. */
  setup(seconds: number): void {
    this.#setupDuration.observe(seconds);
  }

  /** One model call of `agent` ended. */
  modelCall(agent: Agent, call: ModelCall): void {
    const model = this.#models.label(call.model);
    const outcome = call.errorKind === null ? "ok" : "error";
    this.#modelCallDuration.observe(
      { agent, model, outcome },
      call.durationMs / 1000,
    );
    for (const kind of call.retries) {
      this.#modelRetries.inc({ agent, model, kind });
    }
    if (call.errorKind !== null) {
      this.#modelErrors.inc({ agent, model, kind: call.errorKind });
    }
    const usage = call.usage;
    if (!usage) return;
    const tokens = { agent, model };
    this.#modelTokens.inc({ ...tokens, type: "prompt" }, usage.prompt_tokens);
    this.#modelTokens.inc(
      { ...tokens, type: "completion" },
      usage.completion_tokens,
    );
    this.#modelTokens.inc({ ...tokens, type: "cached" }, usage.cached_tokens);
    this.#modelTokens.inc(
      { ...tokens, type: "reasoning" },
      usage.reasoning_tokens,
    );
    this.#modelCost.inc(tokens, estimateCostUsd(call.model, usage));
  }

  /** One command ended. */
  command(
    source: CommandSource,
    outcome: "ok" | "failed" | "timed_out",
    seconds: number,
  ): void {
    this.#commandDuration.observe({ source, outcome }, seconds);
  }

  /** One webhook delivery attempt ended. */
  webhook(result: "delivered" | "retried" | "failed"): void {
    this.#webhooks.inc({ result });
  }

  /** An actor message of `actor` type waited `ms` for dispatch. */
  hop(actor: string, ms: number): void {
    this.#hopLatency.observe({ actor }, Math.max(0, ms) / 1000);
  }
}
