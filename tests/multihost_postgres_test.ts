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
import { freshSchemaUrl } from "../lib/store/postgres/test_cluster.ts";
import type { RunEvent, RunRecord } from "../lib/store/types.ts";
import { git, seedRepo } from "./support/harness.ts";
import {
  type ScriptedReply,
  startScriptedModel,
} from "./support/scripted_model.ts";
import { startServer, waitForPort } from "./support/server_process.ts";

const RUNS = 20;
const CONTENT = "def add(a, b):\n    return a + b\n";
const SE_TURN: ScriptedReply = {
  // Long enough that kills land while turns are in flight.
  delayMs: 400,
  then: {
    tool_calls: [
      {
        name: "write_file",
        arguments: { path: "calculator.py", content: CONTENT },
      },
      { name: "finish", arguments: { summary: "add()" } },
    ],
  },
};
const PASS: ScriptedReply = {
  tool_calls: [{
    name: "submit_verdict",
    arguments: { decision: "PASS", feedback: "ok" },
  }],
};

interface Proc {
  child: Deno.ChildProcess;
  port: number;
}

Deno.test("multi-host on Postgres: API + 3 workers, 20 runs succeed while a worker is SIGKILLed twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_multihost_" });
  const kv = await freshSchemaUrl("multihost");
  // Spare replies: a turn cut off by a kill is asked again.
  const model = await startScriptedModel({
    se: Array.from({ length: RUNS + 12 }, () => SE_TURN),
    po: Array.from({ length: RUNS + 12 }, () => PASS),
  });
  const procs: (Proc | null)[] = [];
  const start = async (env: Record<string, string>): Promise<Proc> => {
    const child = startServer({
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? dir,
      AOS_KV: kv.url,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      OPENAI_API_KEY: "sk-multihost",
      OPENAI_BASE_URL: model.url,
      AOS_SANDBOX: "bwrap",
      AOS_ALLOW_LOCAL_REPOS: "true",
      ...env,
    });
    return { child, port: await waitForPort(child) };
  };
  const workerEnv = (i: number) => ({
    WORKSPACE_ROOT: `${dir}/host${i}/workspaces`,
    // The model name tells the scripted model which worker called it.
    AOS_MODEL: `worker-${i}`,
  });
  try {
    const remote = await seedRepo(dir, { "README.md": "# multi-host\n" });
    const api = await start({
      AOS_WORKERS: "false",
      WORKSPACE_ROOT: `${dir}/api/workspaces`,
    });
    procs.push(api);
    for (let i = 0; i < 3; i++) procs.push(await start(workerEnv(i)));
    const apiUrl = `http://127.0.0.1:${api.port}`;
    assertEquals((await fetch(`${apiUrl}/readyz`)).status, 200);

    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await fetch(`${apiUrl}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          repo: remote,
          push_branch: `aos/mh-${i}`,
          acceptance_commands: [
            `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
          ],
          task: `Run ${i}: create calculator.py with add(a, b).`,
        }),
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
        () => seCalls().length >= threshold,
        120_000,
        `${threshold} SE calls`,
      );
      const busiest = byWorker();
      const victim = busiest.indexOf(Math.max(...busiest));
      const proc = procs[victim + 1]!;
      proc.child.kill("SIGKILL");
      await proc.child.status;
      procs[victim + 1] = await start(workerEnv(victim));
    }

    const runs = new Map<string, RunRecord>();
    await until(
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
      "all runs to finish",
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
      for (
        const kind of [
          "RUN_START",
          "SE_OUTPUT",
          "TR_APPLY",
          "PO_RESULT",
          "PUSH",
          "RUN_END",
        ]
      ) {
        assertEquals(
          events.filter((e) => e.kind === kind).length,
          1,
          `run ${i}: ${kind} ${
            events.filter((e) => e.kind === kind).length
          } times`,
        );
      }
      const branch = `aos/mh-${i}`;
      const pushed = events.find((e) => e.kind === "PUSH")!.payload.commit;
      assertEquals(
        (await git(dir, "--git-dir", remote, "rev-parse", branch)).trim(),
        pushed,
      );
      assertEquals(
        await git(dir, "--git-dir", remote, "show", `${branch}:calculator.py`),
        CONTENT,
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
    for (const proc of procs) {
      if (!proc) continue;
      try {
        proc.child.kill("SIGTERM");
      } catch { /* exited */ }
      await proc.child.status;
    }
    await model.close();
    await kv.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

async function until(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
