/**
 * Scale-out under contention: an API-only process and three worker processes
 * share one SQLite KV file and run 20 runs at once. SQLite lets one writer in
 * at a time, so the processes keep meeting "database is locked"; every run
 * must still succeed (a transient storage error is retried or redelivered,
 * never the end of a run), and no turn may run twice.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunRecord } from "../lib/store/mod.ts";
import { seedRepo } from "./support/harness.ts";
import {
  poVerdict,
  reply,
  startScriptedModel,
  toolCall,
} from "../lib/llm/testing.ts";
import { ServiceProcess } from "./support/server_process.ts";

const RUNS = 20;
const WORKERS = 3;

Deno.test("API + 3 worker processes on one SQLite KV: 20 concurrent runs all succeed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_shared_kv_" });
  const model = await startScriptedModel({
    se: Array.from({ length: RUNS }, (_, i) =>
      reply(
        toolCall("write_file", { path: `file_${i}.txt`, content: `${i}\n` }),
        toolCall("finish", { summary: `wrote file ${i}` }),
      )),
    po: Array.from({ length: RUNS }, () => poVerdict("PASS", "fine")),
  });
  const services: ServiceProcess[] = [];
  try {
    const remote = await seedRepo(dir, { "README.md": "# Load\n" });
    const env = (name: string, workers: boolean) => ({
      AOS_KV: `${dir}/aos.kv`,
      WORKSPACE_ROOT: `${dir}/workspaces_${name}`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      AOS_WORKERS: String(workers),
      AOS_SANDBOX: "none",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: model.url,
      AOS_ALLOW_LOCAL_REPOS: "true",
    });
    const envs = [
      env("api", false),
      ...Array.from({ length: WORKERS }, (_, w) => env(`w${w}`, true)),
    ];
    // Settle every start before going on, so a failed one leaves none running unseen.
    const started = await Promise.allSettled(envs.map(ServiceProcess.start));
    for (const result of started) {
      if (result.status === "fulfilled") services.push(result.value);
    }
    const refused = started.find((r) => r.status === "rejected");
    if (refused) throw refused.reason;
    const url = services[0]!.url;
    const ids = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const md = `---\nrepo: ${remote}\npush_branch: aos/load-${i}\n` +
          `acceptance_commands: ["true"]\n---\n\nWrite file ${i}.\n`;
        const res = await fetch(`${url}/runs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ work_order_md: md }),
        });
        const body = await res.json();
        assertEquals(res.status, 201, JSON.stringify(body));
        return body.id as string;
      }),
    );
    const deadline = Date.now() + 180_000;
    let runs: RunRecord[] = [];
    while (Date.now() < deadline) {
      runs = await Promise.all(
        ids.map(async (id) =>
          await (await fetch(`${url}/runs/${id}?consistency=strong`)).json()
        ),
      );
      if (runs.every((r) => !["PENDING", "RUNNING"].includes(r.status))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const failed = runs.filter((r) => r.status !== "SUCCEEDED").map((r) =>
      `${r.id} ${r.status}: ${r.error}`
    );
    assertEquals(failed, []);
    // Without a kill, no turn or review ran twice: one model call each.
    const calls = (agent: string) =>
      model.requests.filter((r) => r.agent === agent).length;
    assertEquals([calls("se"), calls("po")], [RUNS, RUNS]);
  } finally {
    for (const service of services) await service.stop();
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
