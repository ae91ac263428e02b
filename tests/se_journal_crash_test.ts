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
import { CALCULATOR_PY, calculatorRun, PASS } from "./support/calculator.ts";
import { seedRepo } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import { reply, startScriptedModel, toolCall } from "../lib/llm/testing.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
  waitForRunEnd,
} from "./support/server_process.ts";

Deno.test("an SE turn killed mid-call resumes from its journal, repeating only the call in flight", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_se_journal_" });
  const finish = reply(toolCall("finish", { summary: "add() written" }));
  const model = await startScriptedModel({
    se: [
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("write_file", {
        path: "calculator.py",
        content: CALCULATOR_PY,
      })),
      // The third call hangs until the process is killed; the resumed turn gets `finish`.
      { delayMs: 60_000, then: finish },
      finish,
    ],
    po: [PASS],
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# calc\n" });
    const env = (workspaces: string) =>
      serviceEnv({
        dir,
        kv: `${dir}/aos.kv`,
        modelUrl: model.url,
        apiKey: "sk-journal-test",
        extra: {
          WORKSPACE_ROOT: `${dir}/${workspaces}`,
          AOS_MODEL: "gpt-4.1-mini",
        },
      });
    server = await ServiceProcess.start(env("ws_first"));
    const id = await postRun(server.url, calculatorRun(remote, "aos/journal"));
    const seRequests = () => model.requests.filter((r) => r.agent === "se");
    await until("3 SE calls", () => seRequests().length >= 3, 60_000, 25);

    // Another worker: its own workspace root, nothing of the first one's checkout.
    await server.restart(env("ws_second"));
    const run = await waitForRunEnd(server.url, id, 90_000);
    await server.stop();

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
    await server?.stop();
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
