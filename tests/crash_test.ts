/**
 * Crash recovery end to end: the service process is killed with SIGKILL in the
 * middle of a run and started again on the same KV file; the run finishes
 * exactly once.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { closeKv, openKv } from "../lib/store/kv.ts";
import { RunStore } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/test_kv.ts";
import type { RunRecord } from "../lib/store/types.ts";
import { seedRepo } from "./support/harness.ts";
import { startScriptedModel } from "./support/scripted_model.ts";
import { startServer, waitForPort } from "./support/server_process.ts";

async function getRun(port: number, id: string): Promise<RunRecord> {
  const res = await fetch(`http://127.0.0.1:${port}/runs/${id}`);
  return await res.json();
}

Deno.test("a run survives SIGKILL of the service mid-run and finishes exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_crash_" });
  const kvStore = await testKvPath(dir);
  const write = {
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
  };
  const model = await startScriptedModel({
    // The first SE request hangs until the process is killed; the redelivered turn gets `write`.
    se: [{ delayMs: 60_000, then: write }, write],
    po: [{
      tool_calls: [{
        name: "submit_verdict",
        arguments: { decision: "PASS", feedback: "ok" },
      }],
    }],
  });
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? dir,
      AOS_KV: kvStore.path,
      WORKSPACE_ROOT: `${dir}/ws`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      OPENAI_API_KEY: "sk-crash-test",
      OPENAI_BASE_URL: model.url,
      AOS_SANDBOX: "bwrap",
      AOS_ALLOW_LOCAL_REPOS: "true",
    };
    let server = startServer(env);
    let port = await waitForPort(server);
    const res = await fetch(`http://127.0.0.1:${port}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        repo: remote,
        push_branch: "aos/crash",
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
        task: "Create calculator.py with add(a, b).",
      }),
    });
    assertEquals(res.status, 201);
    const { id } = await res.json();
    // Wait until the SE's model call is in flight, then kill the whole process.
    while (model.requests.filter((r) => r.agent === "se").length === 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    server.kill("SIGKILL");
    await server.status;

    server = startServer(env);
    port = await waitForPort(server);
    let run = await getRun(port, id);
    const deadline = Date.now() + 60_000;
    while (
      !["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
      run = await getRun(port, id);
    }
    server.kill("SIGTERM");
    await server.status;

    assertEquals(run.status, "SUCCEEDED", run.error ?? "");
    const kv = await openKv(kvStore.path);
    try {
      const store = new RunStore(kv);
      const kinds = (await store.listEvents(id)).map((e) => e.kind);
      assertEquals(kinds.filter((k) => k === "RUN_START").length, 1);
      assertEquals(kinds.filter((k) => k === "RUN_END").length, 1);
      assertEquals(kinds.filter((k) => k === "PUSH").length, 1);
      assertEquals(kinds.filter((k) => k === "SE_OUTPUT").length, 1);
      const counts = await store.counts();
      assertEquals(counts.SUCCEEDED, 1);
      assertEquals(counts.RUNNING, 0);
      assertEquals(counts.total, 1);
    } finally {
      await closeKv(kv);
    }
    assert(model.requests.filter((r) => r.agent === "se").length >= 2);
  } finally {
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
