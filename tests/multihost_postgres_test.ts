/**
 * Several hosts on one Postgres: an API process and three worker processes,
 * each with its own WORKSPACE_ROOT (as separate machines would have), share
 * a Postgres KV. Twenty runs on the scripted model all succeed with the right
 * content pushed while one worker is SIGKILLed twice (and restarted): no run
 * lost, no event twice, one push per branch, and the model calls show more
 * than one worker did the work (each worker names its own model).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { freshSchemaUrl } from "../lib/store/testing.ts";
import type { RunEvent, RunRecord } from "../lib/store/mod.ts";
import {
  CALCULATOR_PY,
  calculatorRun,
  PASS,
  WRITE_CALCULATOR,
} from "./support/calculator.ts";
import { git, seedRepo } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import { assertEachOnce } from "./support/run_events.ts";
import { type ScriptedReply, startScriptedModel } from "../lib/llm/testing.ts";
import { serviceEnv, ServiceProcess } from "./support/server_process.ts";

const RUNS = 20;
// Long enough that kills land while turns are in flight.
const SE_TURN: ScriptedReply = { delayMs: 400, then: WRITE_CALCULATOR };

Deno.test("multi-host on Postgres: API + 3 workers, 20 runs succeed while a worker is SIGKILLed twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_multihost_" });
  const kv = await freshSchemaUrl("multihost");
  // Spare replies: a turn cut off by a kill is asked again.
  const model = await startScriptedModel({
    se: Array.from({ length: RUNS + 12 }, () => SE_TURN),
    po: Array.from({ length: RUNS + 12 }, () => PASS),
  });
  const procs: ServiceProcess[] = [];
  const env = (extra: Record<string, string>) =>
    serviceEnv({
      dir,
      kv: kv.url,
      modelUrl: model.url,
      apiKey: "sk-multihost",
      extra,
    });
  const workerEnv = (i: number) => ({
    WORKSPACE_ROOT: `${dir}/host${i}/workspaces`,
    // The model name tells the scripted model which worker called it.
    AOS_MODEL: `worker-${i}`,
  });
  try {
    const remote = await seedRepo(dir, { "README.md": "# multi-host\n" });
    const api = await ServiceProcess.start(env({
      AOS_WORKERS: "false",
      WORKSPACE_ROOT: `${dir}/api/workspaces`,
    }));
    procs.push(api);
    for (let i = 0; i < 3; i++) {
      procs.push(await ServiceProcess.start(env(workerEnv(i))));
    }
    const apiUrl = api.url;
    assertEquals((await fetch(`${apiUrl}/readyz`)).status, 200);

    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await fetch(`${apiUrl}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          calculatorRun(
            remote,
            `aos/mh-${i}`,
            `Run ${i}: create calculator.py with add(a, b).`,
          ),
        ),
      });
      assertEquals(res.status, 201, await res.clone().text());
      ids.push((await res.json()).id);
    }

    // SIGKILL the busiest worker twice, restarting it each time on its own host.
    const seCalls = () => model.requests.filter((r) => r.agent === "se");
    const byWorker = () => {
      const counts = [0, 0, 0];
      for (const r of model.requests) {
        const m = /worker-(\d)/.exec(
          String((r.body as { model?: unknown }).model),
        );
        if (m) counts[Number(m[1])]!++;
      }
      return counts;
    };
    for (const threshold of [4, 11]) {
      await until(
        `${threshold} SE calls`,
        () => seCalls().length >= threshold,
        120_000,
      );
      const busiest = byWorker();
      const victim = busiest.indexOf(Math.max(...busiest));
      await procs[victim + 1]!.restart(env(workerEnv(victim)));
    }

    const runs = new Map<string, RunRecord>();
    await until(
      "all runs to finish",
      async () => {
        for (const id of ids) {
          if (runs.has(id)) continue;
          const run: RunRecord =
            await (await fetch(`${apiUrl}/runs/${id}?consistency=strong`))
              .json();
          if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status)) {
            runs.set(id, run);
          }
        }
        return runs.size === RUNS;
      },
      240_000,
    );

    for (const [i, id] of ids.entries()) {
      const run = runs.get(id)!;
      assertEquals(run.status, "SUCCEEDED", `run ${i}: ${run.error ?? ""}`);
      const events: RunEvent[] =
        await (await fetch(`${apiUrl}/runs/${id}/events`)).json();
      const seqs = events.map((e) => e.seq);
      assertEquals(
        new Set(seqs).size,
        seqs.length,
        `run ${i}: an event seq twice`,
      );
      assertEachOnce(events, undefined, `run ${i}: `);
      const branch = `aos/mh-${i}`;
      const pushed = events.find((e) => e.kind === "PUSH")!.payload.commit;
      assertEquals(
        (await git(dir, "--git-dir", remote, "rev-parse", branch)).trim(),
        pushed,
      );
      assertEquals(
        await git(dir, "--git-dir", remote, "show", `${branch}:calculator.py`),
        CALCULATOR_PY,
      );
      assertEquals(
        (await git(
          dir,
          "--git-dir",
          remote,
          "rev-list",
          "--count",
          `main..${branch}`,
        )).trim(),
        "1",
        `run ${i}: one commit pushed`,
      );
    }
    const counts2 = byWorker();
    assert(
      counts2.filter((n) => n > 0).length >= 2,
      `model calls by worker: ${counts2.join(", ")}`,
    );
    const hosts = [0, 1, 2].filter((i) => exists(`${dir}/host${i}/workspaces`));
    assert(hosts.length >= 2, `workspaces on hosts ${hosts.join(", ")}`);
  } finally {
    for (const proc of procs) await proc.stop();
    await model.close();
    await kv.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
