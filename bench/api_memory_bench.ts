/**
 * Memory of the API under a stream of malformed requests (issue #10: the
 * service grew from 81 MB to 0.77 GB RSS during an API fuzz). The same seeded
 * fuzz (tests/support/api_fuzz.ts: bodies up to 2.2 MB, most refused) goes to
 * AOS (API only) and, side by side, to a bare Deno.serve that reads every
 * body (bench/memory_floor_server.ts); RSS of each server process is sampled
 * from /proc after every round.
 */
import { fuzzRequests, prng } from "../tests/support/api_fuzz.ts";
import { sendAll } from "../tests/support/fuzz_client.ts";
import { fmt, machine } from "./runtime_stats.ts";

const ROUNDS = 8;
const PER_ROUND = 1000;
const root = new URL("..", import.meta.url).pathname;

interface Series {
  name: string;
  rssMb: number[];
}

async function serve(
  args: string[],
  env: Record<string, string>,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  while (port === 0) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited:\n${text}`);
    text += value;
    port = Number(text.match(/listening on http:\/\/[^:]+:(\d+)/)?.[1] ?? 0);
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

async function measure(
  name: string,
  server: { url: string; pid: number },
  knownRunId: string,
): Promise<Series> {
  const series: Series = { name, rssMb: [rssMb(server.pid)] };
  for (let round = 0; round < ROUNDS; round++) {
    const requests = fuzzRequests(prng(round + 1), {
      repo: "https://github.com/user/repo",
      knownRunId,
      count: PER_ROUND,
    });
    await sendAll(server.url, requests);
    series.rssMb.push(rssMb(server.pid));
  }
  return series;
}

/** Runs the bench; returns its RESULTS.md section. */
export async function runApiMemoryBench(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_membench_" });
  const aos = await serve(["run", "-A", "--unstable-kv", `${root}main.ts`], {
    AOS_KV: `${dir}/aos.kv`,
    WORKSPACE_ROOT: `${dir}/ws`,
    PORT: "0",
    AOS_HOST: "127.0.0.1",
    AOS_WORKERS: "false",
    AOS_SANDBOX: "none",
  });
  const floor = await serve(
    ["run", "-A", `${root}bench/memory_floor_server.ts`],
    {},
  );
  try {
    const known = await (await fetch(`${aos.url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        work_order_md: "---\nrepo: https://github.com/user/repo\n---\n\nt\n",
      }),
    })).json();
    const results = [
      await measure("AOS API (AOS_WORKERS=false)", aos, known.id),
      await measure("bare Deno.serve reading each body", floor, known.id),
    ];
    const rows = results.map((s) => {
      const start = s.rssMb[0]!;
      const peak = Math.max(...s.rssMb);
      const end = s.rssMb.at(-1)!;
      return `| ${s.name} | ${fmt(start, 0)} | ${fmt(peak, 0)} | ${
        fmt(end, 0)
      } | ${fmt(end - start, 0)} | ${
        s.rssMb.map((v) => fmt(v, 0)).join(" → ")
      } |`;
    });
    const growth = results.map((s) => s.rssMb.at(-1)! - s.rssMb[0]!);
    return [
      "## API memory under malformed requests",
      "",
      `${await machine()}. ${ROUNDS} rounds × ${PER_ROUND} requests of the seeded API fuzz (8 at a time), RSS of the server process in MB after each round.`,
      "",
      "| server | start | peak | end | growth | per round |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `Growth ratio AOS / floor: ${
        fmt(growth[0]! / Math.max(1, growth[1]!), 2)
      }.`,
      "",
    ].join("\n");
  } finally {
    await aos.stop();
    await floor.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) console.log(await runApiMemoryBench());
