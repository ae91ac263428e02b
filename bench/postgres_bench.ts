/**
 * The Postgres KV in `deno task bench`: on a throwaway cluster with durable
 * commits (fsync on, `PG_DURABLE=1`), (1) the runtime's 200 runs × 5
 * iterations loop on Postgres next to the SQLite file and next to LangGraph JS
 * with its Postgres checkpointer on the same cluster, (2) the message hop
 * across processes, (3) `GET /runs/{id}` served on each backend.
 */
import { closeKv, openKv } from "../lib/store/mod.ts";
import { pgCluster } from "../lib/store/testing.ts";
import {
  calculatorWorkOrder,
  startBenchService,
  submitRun,
} from "./bench_service.ts";
import { hasWrk, load } from "./api_bench.ts";
import { benchCrossProcessHop } from "./cross_process_hop.ts";
import { benchLangGraph } from "./runtime_langgraph.ts";
import { type BenchKvOpener, benchLoop } from "./runtime_loop.ts";
import { fmt, machine, percentile } from "./runtime_stats.ts";

const RUNS = 200;
const ITERATIONS = 5;
/** Runs the Postgres benchmarks; returns a markdown section. */
export async function runPostgresBenches(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_pg_bench_" });
  let schemas = 0;
  try {
    const server = await pgCluster("start", `${dir}/pg`, { durable: true });
    const pgUrl = () => `${server}?schema=bench_${++schemas}`;
    const onPostgres: BenchKvOpener = async () => {
      const kv = await openKv(pgUrl());
      return { kv, close: () => closeKv(kv) };
    };
    log(
      "postgres bench (1): 200 × 5 loops on SQLite, Postgres, LangGraph + Postgres …",
    );
    await benchLoop(RUNS, 1, true, onPostgres); // warm-up: JIT, connections, migrations
    const sqlite = await benchLoop(RUNS, ITERATIONS);
    const pg = await benchLoop(RUNS, ITERATIONS, true, onPostgres);
    const peer = await benchLangGraph(RUNS, ITERATIONS, `${server}`);
    log("postgres bench (2): cross-process hop …");
    const hopPg = await benchCrossProcessHop(pgUrl(), 400);
    const rtt = await roundTrip(server);
    const hopSqlite = await benchCrossProcessHop(`${dir}/hop.kv`, 30, 4);
    log("postgres bench (3): GET /runs/{id} on each backend …");
    const api = {
      sqlite: await benchRunRead(`${dir}/api.kv`, `${dir}/ws1`),
      postgres: await benchRunRead(pgUrl(), `${dir}/ws2`),
    };
    const ratio = peer.ok ? pg.stepsPerSec / peer.stepsPerSec : NaN;
    const loadavg = (await Deno.readTextFile("/proc/loadavg").catch(() => "?"))
      .split(" ").slice(0, 3).join(" ");
    const row = (
      label: string,
      f: { steps: number; ms: number; stepsPerSec: number },
    ) =>
      `| ${label} | ${f.steps} | ${fmt(f.ms, 0)} ms | ${
        fmt(f.stepsPerSec, 0)
      } |`;
    return [
      "## PostgreSQL KV",
      "",
      `Run ${
        new Date().toISOString()
      } on ${await machine()}. Postgres is a throwaway ` +
      "local cluster (Debian's PostgreSQL, `scripts/pg_cluster.sh` with `PG_DURABLE=1`: " +
      "fsync and synchronous commit on), shared by AOS and LangGraph; SQLite is a file " +
      "in a temp dir. The machine is shared with other work (load average " +
      `${loadavg} at the end), so absolute figures move between runs; the rows ` +
      "of one table ran back to back.",
      "",
      `### (1) ${RUNS} runs × ${ITERATIONS} iterations of the no-op SE→TR→PO loop`,
      "",
      "| system | steps | wall time | durable steps/s |",
      "| --- | ---: | ---: | ---: |",
      row(`runtime on SQLite KV (${sqlite.commits} commits)`, sqlite),
      row(`runtime on Postgres KV (${pg.commits} commits)`, pg),
      peer.ok
        ? row(`LangGraph JS, Postgres checkpointer (${peer.versions})`, peer)
        : `| LangGraph JS, Postgres checkpointer | — | — | could not run: ${
          peer.reason.replaceAll("|", "\\|").replaceAll("\n", " ")
        } |`,
      "",
      peer.ok
        ? `AOS on Postgres: **${
          fmt(ratio, 1)
        }×** LangGraph + Postgres durable steps/s ` +
          `(target ≥ 5×: **${ratio >= 5 ? "met" : "missed"}**).`
        : "Ratio: not available, LangGraph did not run (see the row above).",
      "",
      "### (2) Message hop across processes",
      "",
      "Two processes on one KV, each holding one actor's lease; a hop is one handler's " +
      "start to the other's (a commit in one process, the wake-up in the other).",
      "",
      "| KV | hops across processes (local, left out) | p50 hop | p99 hop |",
      "| --- | ---: | ---: | ---: |",
      `| Postgres (commit NOTIFY → watch → wake hint) | ${hopPg.hops} (${hopPg.local}) | ${
        fmt(hopPg.p50Ms, 2)
      } ms | ${fmt(hopPg.p99Ms, 2)} ms |`,
      `| SQLite file (no cross-process notification: the 200 ms scan) | ${hopSqlite.hops} (${hopSqlite.local}) | ${
        fmt(hopSqlite.p50Ms, 1)
      } ms | ${fmt(hopSqlite.p99Ms, 1)} ms |`,
      "",
      `Target p50 ≤ 5 ms on Postgres: **${
        hopPg.p50Ms <= 5 ? "met" : "missed"
      }**. ` +
      `A bare \`SELECT 1\` round trip took ${
        fmt(rtt, 2)
      } ms (p50) in the same run. ` +
      "A hop is the sender's durable commit (WAL flushed, NOTIFY sent), then in the " +
      "receiver the watch's re-read of the wake counter and hint and one listing " +
      "of the mailbox the hint names (no scan of timers or of the pending index: " +
      "the counter moved by one and the hint named an actor held there). Before " +
      "wake hints (2026-12-01 morning, same machine) each wake-up also scanned " +
      "timers and the pending index and read the pending counter: p50 5.7–11.7 ms.",
      "",
      "### (3) `GET /runs/{id}` on each backend",
      "",
      `Load: ${api.sqlite.tool}. A live run; the default read answers from memory, ` +
      "`?consistency=strong` reads KV every time.",
      "",
      "| KV | `GET /runs/{id}` req/s | `?consistency=strong` req/s |",
      "| --- | ---: | ---: |",
      `| SQLite file | ${fmt(api.sqlite.cached, 0)} | ${
        fmt(api.sqlite.strong, 0)
      } |`,
      `| Postgres | ${fmt(api.postgres.cached, 0)} | ${
        fmt(api.postgres.strong, 0)
      } |`,
      "",
    ].join("\n");
  } finally {
    await pgCluster("stop", `${dir}/pg`).catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** p50 of 200 `SELECT 1` round trips to `url`. */
async function roundTrip(url: string): Promise<number> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const times: number[] = [];
    await sql`SELECT 1`;
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await sql`SELECT 1`;
      times.push(performance.now() - t);
    }
    return percentile(times, 50);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Requests/s of `GET /runs/{id}` (cached and strong) on a service on `kvPath`. */
async function benchRunRead(
  kvPath: string,
  workspaceRoot: string,
): Promise<{ cached: number; strong: number; tool: string }> {
  const useWrk = await hasWrk();
  const service = await startBenchService(kvPath, workspaceRoot);
  try {
    const id = await submitRun(service.url, await calculatorWorkOrder());
    const url = `${service.url}/runs/${id}`;
    await load(url, useWrk, 1);
    const cached = await load(url, useWrk, 3);
    const strong = await load(`${url}?consistency=strong`, useWrk, 3);
    return {
      cached,
      strong,
      tool: useWrk
        ? "wrk, 32 connections, 3 s each"
        : "in-process fetch, 32 concurrent, 3 s each",
    };
  } finally {
    await service.close();
  }
}
