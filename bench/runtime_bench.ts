/**
 * Runtime benchmarks, all in one run: (a) actor ping-pong hop latency,
 * (b) the naive KV-queue ping-pong, (c) 200 concurrent SE→TR→PO loops against
 * LangGraph JS. `deno run -A --unstable-kv bench/runtime_bench.ts` runs them
 * alone and writes bench/RESULTS.md; `bench/main.ts` calls `runRuntimeBenches()`.
 */
import { benchLangGraph } from "./runtime_langgraph.ts";
import { benchLoop } from "./runtime_loop.ts";
import { benchActorPingPong, benchQueuePingPong } from "./runtime_pingpong.ts";
import { fmt, machine } from "./runtime_stats.ts";

const RUNS = 200;
const ITERATIONS = 5;

/** Runs every runtime benchmark; returns a markdown section with the figures, date and machine. */
export async function runRuntimeBenches(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  log("runtime bench (a): actor ping-pong …");
  const actor = await benchActorPingPong();
  log("runtime bench (b): KV queue ping-pong …");
  const queue = await benchQueuePingPong();
  log("runtime bench (c): 200 × 5 SE→TR→PO loops on the runtime …");
  await benchLoop(RUNS, 1); // warm-up: JIT and KV file creation
  const loop = await benchLoop(RUNS, ITERATIONS);
  log("runtime bench (c): the same without group commit …");
  const single = await benchLoop(RUNS, ITERATIONS, false);
  log("runtime bench (c): the same on LangGraph JS …");
  const peer = await benchLangGraph(RUNS, ITERATIONS);
  const ratio = peer.ok ? loop.stepsPerSec / peer.stepsPerSec : NaN;
  const lines = [
    "## Actor runtime",
    "",
    `Run ${
      new Date().toISOString()
    } on ${await machine()}. KV is a SQLite file in a temp dir.`,
    "",
    "### (a), (b) Ping-pong between two actors",
    "",
    "A hop is the time from one handler's start to the next handler's start: the step's atomic commit and the wake-up included.",
    "",
    "| dispatch | hops | p50 hop | p99 hop | hops/s |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| runtime (commit, then in-process wake-up) | ${actor.hops} | ${
      fmt(actor.p50Ms, 3)
    } ms | ${fmt(actor.p99Ms, 3)} ms | ${fmt(actor.hopsPerSec, 0)} |`,
    `| naive: every message through \`kv.enqueue\` → \`listenQueue\` | ${queue.hops} | ${
      fmt(queue.p50Ms, 1)
    } ms | ${fmt(queue.p99Ms, 1)} ms | ${fmt(queue.hopsPerSec, 1)} |`,
    "",
    `Target hop p50 ≤ 1 ms: **${actor.p50Ms <= 1 ? "met" : "missed"}** (${
      fmt(queue.p50Ms / actor.p50Ms, 0)
    }× faster than the queue hop).`,
    "",
    `### (c) ${RUNS} runs × ${ITERATIONS} iterations of a no-op SE→TR→PO loop, all started at once`,
    "",
    'Every step is durable before the next one runs: one atomic commit per step on the runtime (group commit packs the steps of many ready actors into one KV atomic operation, each step still all or nothing); one SQLite checkpoint per step on LangGraph (`durability: "sync"`).',
    "",
    "| system | steps | wall time | durable steps/s |",
    "| --- | ---: | ---: | ---: |",
    `| runtime (${loop.commits} atomic commits, ${
      fmt(loop.steps / Math.max(1, loop.commits), 1)
    } steps per commit on average) | ${loop.steps} | ${fmt(loop.ms, 0)} ms | ${
      fmt(loop.stepsPerSec, 0)
    } |`,
    `| runtime with group commit off (one atomic commit per step) | ${single.steps} | ${
      fmt(single.ms, 0)
    } ms | ${fmt(single.stepsPerSec, 0)} |`,
    peer.ok
      ? `| LangGraph JS, SQLite checkpointer (${peer.versions}) | ${peer.steps} | ${
        fmt(peer.ms, 0)
      } ms | ${fmt(peer.stepsPerSec, 0)} |`
      : `| LangGraph JS | — | — | could not run: ${
        peer.reason.replaceAll("|", "\\|").replaceAll("\n", " ")
      } |`,
    "",
    peer.ok
      ? `Ratio: **${
        fmt(ratio, 1)
      }×** LangGraph's durable steps/s (target ≥ 5×: **${
        ratio >= 5 ? "met" : "missed"
      }**).`
      : "Ratio: not available, LangGraph did not run in this environment (see the row above).",
    "",
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const section = await runRuntimeBenches();
  const path = new URL("./RESULTS.md", import.meta.url);
  await Deno.writeTextFile(path, `# Benchmark results\n\n${section}`);
  // Keep the file as `deno fmt` wants it (tables aligned), so `deno task ok` stays green.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path.pathname],
  }).output();
  console.log(section);
}
