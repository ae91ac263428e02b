/**
 * API benchmark: `GET /runs/{id}` requests/s on the real app, as a ratio to a
 * bare Hono hello-world route served the same way (Deno.serve, same process,
 * same load tool) in the same run. Uses `wrk` when installed, else an
 * in-process keep-alive fetch client.
 */
import { Hono } from "hono";
import { loadConfig } from "../lib/config.ts";
import { startService } from "../main.ts";
import { fmt, machine } from "./runtime_stats.ts";

const SECONDS = 5;
const CONNECTIONS = 32;

async function hasWrk(): Promise<boolean> {
  try {
    return (await new Deno.Command("wrk", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output())
      .code <= 1;
  } catch {
    return false;
  }
}

async function load(url: string, useWrk: boolean): Promise<number> {
  if (useWrk) {
    const out = await new Deno.Command("wrk", {
      args: ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, url],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const match = text.match(/Requests\/sec:\s+([\d.]+)/);
    if (!match) throw new Error(`Could not read wrk output:\n${text}`);
    return Number(match[1]);
  }
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < end) {
      const res = await fetch(url);
      await res.arrayBuffer();
      count++;
    }
  }));
  return count / SECONDS;
}

/** Runs the API benchmark; returns a markdown section. */
export async function runApiBench(
  log: (line: string) => void = (l) => console.error(l),
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_api_bench_" });
  const useWrk = await hasWrk();
  const hello = new Hono().get("/", (c) => c.text("Hello Hono!"));
  const helloServer = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, hello.fetch);
  const service = await startService({
    config: loadConfig({
      AOS_KV: `${dir}/aos.kv`,
      WORKSPACE_ROOT: `${dir}/ws`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      AOS_SANDBOX: "none",
      AOS_WORKERS: "false",
    }),
    log: () => {},
  });
  try {
    const res = await fetch(`${service.url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        repo: "https://example.com/repo.git",
        task: "Benchmark run",
      }),
    });
    const { id } = await res.json();
    // A second run, finished: the common case of looking a run up after it ended.
    const res2 = await fetch(`${service.url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        repo: "https://example.com/repo.git",
        task: "Finished run",
      }),
    });
    const finishedId = (await res2.json()).id as string;
    await service.store.transition(finishedId, (prev) => ({
      ...prev,
      status: "SUCCEEDED",
      finished_at: new Date().toISOString(),
      result_summary: "Decision: PASS",
    }));
    log("api bench: warm-up …");
    await load(`http://127.0.0.1:${helloServer.addr.port}/`, useWrk);
    log("api bench: hello world …");
    const helloRps = await load(
      `http://127.0.0.1:${helloServer.addr.port}/`,
      useWrk,
    );
    log("api bench: GET /runs/{id} …");
    const runRps = await load(`${service.url}/runs/${id}`, useWrk);
    const finishedRps = await load(`${service.url}/runs/${finishedId}`, useWrk);
    const ratio = runRps / helloRps;
    const finishedRatio = finishedRps / helloRps;
    return [
      "## HTTP API",
      "",
      `Run ${new Date().toISOString()} on ${await machine()}. Load tool: ${
        useWrk
          ? `wrk, 2 threads, ${CONNECTIONS} connections, ${SECONDS} s`
          : `in-process fetch, ${CONNECTIONS} concurrent, ${SECONDS} s`
      }. KV is a SQLite file; both servers are Deno.serve in the same process.`,
      "",
      "| route | requests/s |",
      "| --- | ---: |",
      `| bare Hono hello world \`GET /\` (baseline) | ${fmt(helloRps, 0)} |`,
      `| AOS \`GET /runs/{id}\`, live run (KV read + JSON) | ${
        fmt(runRps, 0)
      } |`,
      `| AOS \`GET /runs/{id}\`, finished run (immutable, terminal-run cache) | ${
        fmt(finishedRps, 0)
      } |`,
      "",
      `Ratio, live run: **${fmt(ratio, 2)}** of hello world (target ≥ 0.5: **${
        ratio >= 0.5 ? "met" : "missed"
      }**); finished run: **${fmt(finishedRatio, 2)}** (**${
        finishedRatio >= 0.5 ? "met" : "missed"
      }**). A live run costs one Deno KV read (~90 µs on SQLite), which bounds it.`,
      "",
    ].join("\n");
  } finally {
    await service.close();
    await helloServer.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(await runApiBench());
