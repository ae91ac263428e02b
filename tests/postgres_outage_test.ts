/**
 * The database goes away mid-run: with Postgres stopped while the SE's model
 * call is in flight, /readyz answers 503, the worker's commits wait and
 * retry, and once Postgres is back the run finishes SUCCEEDED with every
 * event once and one push — nothing lost, nothing doubled. Told to stop
 * during an outage, the process exits after its shutdown grace.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { pgCluster } from "../lib/store/testing.ts";
import type { RunEvent, RunRecord } from "../lib/store/mod.ts";
import { git, seedRepo } from "./support/harness.ts";
import { assertEachOnce } from "./support/run_events.ts";
import { startScriptedModel } from "../lib/llm/testing.ts";
import { until } from "./support/poll.ts";
import { startServer, waitForPort } from "./support/server_process.ts";

Deno.test("Postgres outage mid-run: readyz 503 while it is down, then the run finishes exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_outage_" });
  const pgDir = `${dir}/pg`;
  const model = await startScriptedModel({
    // The SE call is in flight while the database is stopped and restarted.
    se: [{
      delayMs: 4000,
      then: {
        tool_calls: [
          {
            name: "write_file",
            arguments: {
              path: "calculator.py",
              content: "def add(a, b):\n    return a + b\n",
            },
          },
          { name: "finish", arguments: { summary: "add()" } },
        ],
      },
    }],
    po: [{
      tool_calls: [{
        name: "submit_verdict",
        arguments: { decision: "PASS", feedback: "ok" },
      }],
    }],
  });
  let server: Deno.ChildProcess | null = null;
  try {
    const url = `${await pgCluster("start", pgDir)}?schema=outage`;
    const remote = await seedRepo(dir, { "README.md": "# outage\n" });
    server = startServer({
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? dir,
      AOS_KV: url,
      WORKSPACE_ROOT: `${dir}/ws`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      OPENAI_API_KEY: "sk-outage",
      OPENAI_BASE_URL: model.url,
      AOS_SANDBOX: "bwrap",
      AOS_ALLOW_LOCAL_REPOS: "true",
      AOS_SHUTDOWN_GRACE_MS: "2000",
    });
    const api = `http://127.0.0.1:${await waitForPort(server)}`;
    assertEquals((await fetch(`${api}/readyz`)).status, 200);
    const res = await fetch(`${api}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        repo: remote,
        push_branch: "aos/outage",
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
        task: "Create calculator.py with add(a, b).",
      }),
    });
    assertEquals(res.status, 201);
    const { id } = await res.json();
    await waitFor(
      "the SE call",
      () => model.requests.some((r) => r.agent === "se"),
      60_000,
    );

    await pgCluster("stop", pgDir);
    await waitFor(
      "readyz 503",
      async () => {
        const probe = await fetch(`${api}/readyz`);
        const body = await probe.json();
        return probe.status === 503 && body.error?.code === "not_ready";
      },
      15_000,
    );
    // Stay down past the model's answer: the step's commit has to wait.
    await new Promise((r) => setTimeout(r, 4000));
    await pgCluster("start", pgDir);
    await waitFor(
      "readyz 200",
      async () => (await fetch(`${api}/readyz`)).status === 200,
      30_000,
    );

    let run: RunRecord | null = null;
    await waitFor(
      "the run to finish",
      async () => {
        run = await (await fetch(`${api}/runs/${id}?consistency=strong`))
          .json();
        return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(run!.status);
      },
      90_000,
    );
    assertEquals(run!.status, "SUCCEEDED", run!.error ?? "");
    const events: RunEvent[] = await (await fetch(`${api}/runs/${id}/events`))
      .json();
    assertEachOnce(events);
    assertEquals(
      model.requests.filter((r) => r.agent === "se").length,
      1,
      "the model was not asked again",
    );
    assertEquals(
      (await git(dir, "--git-dir", remote, "rev-parse", "aos/outage")).trim(),
      events.find((e) => e.kind === "PUSH")!.payload.commit,
    );

    // Told to stop while the database is down, the process cannot finish its
    // shutdown (releasing leases needs commits) and exits after its grace.
    await pgCluster("stop", pgDir);
    await waitFor(
      "readyz 503 again",
      async () => (await fetch(`${api}/readyz`)).status === 503,
      15_000,
    );
    const stopping = server;
    server = null;
    stopping.kill("SIGTERM");
    const exited = await Promise.race([
      stopping.status,
      new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
    ]);
    assertEquals(exited?.code, 1, "exit after the shutdown grace");
  } finally {
    phase("cleanup");
    if (server) {
      try {
        server.kill("SIGTERM");
      } catch { /* exited */ }
      await server.status;
    }
    phase("server exited");
    await model.close();
    await pgCluster("stop", pgDir).catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

/** The shared poll, logging its phase, every 100 ms, each probe cut after 5 s. */
function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<true> {
  phase(`waiting for ${what}`);
  return until(what, async () => (await probe()) || null, timeoutMs, 100, 5000);
}

function phase(what: string): void {
  if (Deno.env.get("AOS_TEST_SERVER_LOG") === "1") {
    console.error(`outage test ${new Date().toISOString()} ${what}`);
  }
}
