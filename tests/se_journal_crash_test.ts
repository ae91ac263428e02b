/**
 * The SE turn's journal end to end: the service is SIGKILLed while the SE's
 * third model call is in flight and restarted as another worker (a fresh
 * WORKSPACE_ROOT, so the working copy must be rebuilt from the base and the
 * journaled pending changes). The turn resumes: the model sees the one
 * in-flight request again, and nothing before it.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { RunStore } from "../lib/store/mod.ts";
import type { RunRecord } from "../lib/store/types.ts";
import { seedRepo } from "./support/harness.ts";
import {
  reply,
  startScriptedModel,
  toolCall,
} from "./support/scripted_model.ts";
import { startServer, waitForPort } from "./support/server_process.ts";

async function getRun(port: number, id: string): Promise<RunRecord> {
  const res = await fetch(`http://127.0.0.1:${port}/runs/${id}`);
  return await res.json();
}

Deno.test("an SE turn killed mid-call resumes from its journal, repeating only the call in flight", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_se_journal_" });
  const finish = reply(toolCall("finish", { summary: "add() written" }));
  const model = await startScriptedModel({
    se: [
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("write_file", {
        path: "calculator.py",
        content: "def add(a, b):\n    return a + b\n",
      })),
      // The third call hangs until the process is killed; the resumed turn gets `finish`.
      { delayMs: 60_000, then: finish },
      finish,
    ],
    po: [
      reply(toolCall("submit_verdict", { decision: "PASS", feedback: "ok" })),
    ],
  });
  try {
    const remote = await seedRepo(dir, { "README.md": "# calc\n" });
    const env = (workspaces: string) => ({
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? dir,
      AOS_KV: `${dir}/aos.kv`,
      WORKSPACE_ROOT: `${dir}/${workspaces}`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      OPENAI_API_KEY: "sk-journal-test",
      OPENAI_BASE_URL: model.url,
      AOS_SANDBOX: "bwrap",
      AOS_MODEL: "gpt-4.1-mini",
      AOS_ALLOW_LOCAL_REPOS: "true",
    });
    let server = startServer(env("ws_first"));
    let port = await waitForPort(server);
    const res = await fetch(`http://127.0.0.1:${port}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        repo: remote,
        push_branch: "aos/journal",
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
        task: "Create calculator.py with add(a, b).",
      }),
    });
    assertEquals(res.status, 201);
    const { id } = await res.json();
    const seRequests = () => model.requests.filter((r) => r.agent === "se");
    while (seRequests().length < 3) {
      await new Promise((r) => setTimeout(r, 25));
    }
    server.kill("SIGKILL");
    await server.status;

    // Another worker: its own workspace root, nothing of the first one's checkout.
    server = startServer(env("ws_second"));
    port = await waitForPort(server);
    let run = await getRun(port, id);
    const deadline = Date.now() + 90_000;
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
    // 3 requests before the kill, then only the one that was in flight.
    const se = seRequests();
    assertEquals(se.length, 4);
    const messages = (n: number) =>
      (se[n]!.body as { messages: unknown[] }).messages;
    assertEquals(messages(3), messages(2));
    assertEquals(model.remaining(), { se: 0, po: 0 });

    const kv = await Deno.openKv(`${dir}/aos.kv`);
    try {
      const store = new RunStore(kv);
      const events = await store.listEvents(id);
      assertEquals(events.filter((e) => e.kind === "SE_OUTPUT").length, 1);
      // The write made before the kill reached the Tool Runner from the journal.
      const apply = events.find((e) => e.kind === "TR_APPLY");
      assertEquals(apply?.payload.ok, true);
      const { body } = await store.getArtifact(id, "llm_iter_1_se.json");
      const llm = JSON.parse(new TextDecoder().decode(body));
      // All three paid replies are in the transcript and the usage.
      assertEquals(llm.transcript.exchanges.length, 3);
      assert(run.usage.total_tokens >= llm.usage.total_tokens);
      assert(llm.usage.total_tokens > 0);
      // The journal is gone once the packet is stored.
      let left = 0;
      for await (const _ of kv.list({ prefix: ["aos", "journal", id] })) left++;
      assertEquals(left, 0);
    } finally {
      kv.close();
    }
  } finally {
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
