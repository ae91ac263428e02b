/**
 * Metrics benchmark: `GET /metrics` with 10,000 runs in the store, against
 * the API's `GET /runs?limit=50` on the same service, measured side by side.
 * /metrics reads the store once (the per-status counters) whatever the number
 * of runs, then renders what this process counted. The process has its
 * workers on (the runtime and disk gauges are there) and, before measuring,
 * model calls of 20 models by both agents were counted, so the text is as
 * long as a busy process's. Target: under 2× the API's time.
 */
import type { ModelCall } from "../lib/llm/mod.ts";
import { calculatorWorkOrder, startBenchService } from "./bench_service.ts";
import { fmt, machine } from "./runtime_stats.ts";
import { loadAverage, meanMs, median, seed } from "./ui_bench.ts";

const ROUNDS = 6;
const API = "/runs?limit=50";
const METRICS = "/metrics";

/** Runs the metrics benchmark; returns a markdown section. */
export async function runMetricsBench(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_metrics_bench_" });
  const service = await startBenchService(`${dir}/aos.kv`, `${dir}/ws`, {
    AOS_WORKERS: "true",
    OPENAI_API_KEY: "sk-bench",
  });
  try {
    log("metrics bench: storing 10000 runs …");
    await seed(service.store, await calculatorWorkOrder());
    for (let m = 0; m < 20; m++) {
      for (const agent of ["se", "po"] as const) {
        const call: ModelCall = {
          model: `model-${m}`,
          startedAt: Date.now(),
          durationMs: 1500 + m * 100,
          usage: {
            prompt_tokens: 5000,
            completion_tokens: 300,
            total_tokens: 5300,
            cached_tokens: 1000,
            reasoning_tokens: 0,
          },
          errorKind: null,
          retries: m % 5 === 0 ? ["rate_limited"] : [],
        };
        service.telemetry.metrics.modelCall(agent, call);
      }
    }
    const bytes = new Map<string, number>();
    for (const path of [API, METRICS]) {
      const res = await fetch(`${service.url}${path}`);
      bytes.set(path, (await res.arrayBuffer()).byteLength);
      await meanMs(`${service.url}${path}`); // warm-up
    }
    const ms = new Map<string, number[]>([[API, []], [METRICS, []]]);
    for (let round = 1; round <= ROUNDS; round++) {
      log(`metrics bench: round ${round}/${ROUNDS} …`);
      const order = round % 2 ? [API, METRICS] : [METRICS, API];
      for (const path of order) {
        ms.get(path)!.push(await meanMs(`${service.url}${path}`));
      }
    }
    const api = ms.get(API)!;
    const metrics = ms.get(METRICS)!;
    const ratio = median(metrics.map((m, i) => m / api[i]!));
    const load = await loadAverage();
    return [
      "## Metrics endpoint",
      "",
      `Run ${
        new Date().toISOString()
      } on ${await machine()}. 10000 runs in a ` +
      "SQLite KV file; one service with its workers on (idle: every stored run " +
      "has ended) and the model calls of 20 models by both agents counted. " +
      "Sequential keep-alive requests as in the dashboard bench, " +
      `${ROUNDS} rounds, the order of the pair alternating; the ratio is the ` +
      "median of the per-round ratios." +
      (load ? ` Load average at the end: ${load} (a shared machine).` : ""),
      "",
      "| target | bytes | median latency |",
      "| --- | ---: | ---: |",
      `| \`GET ${API}\` (baseline) | ${bytes.get(API)} | ${
        fmt(median(api), 2)
      } ms |`,
      `| \`GET ${METRICS}\` | ${bytes.get(METRICS)} | ${
        fmt(median(metrics), 2)
      } ms |`,
      "",
      `Ratio **${fmt(ratio, 2)}** (target ≤ 2: **${
        ratio <= 2 ? "met" : "missed"
      }**). /metrics reads the store once — the per-status counters (one ` +
      "`getMany`, a key per status and the total), however many runs there are — and renders " +
      "the counters and histograms this process keeps in memory; the disk " +
      "gauges show what the last workspace sweep measured, never a walk of " +
      "the disk per scrape.",
      "",
    ].join("\n");
  } finally {
    await service.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(await runMetricsBench());
