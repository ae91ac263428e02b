/**
 * Crash recovery end to end: the service process is killed with SIGKILL in the
 * middle of a run and started again on the same KV file; the run finishes
 * exactly once.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { closeKv, openKv, RunStore } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/testing.ts";
import { calculatorRun, PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { seedRepo } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import { startScriptedModel } from "../lib/llm/testing.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
  waitForRunEnd,
} from "./support/server_process.ts";

Deno.test("a run survives SIGKILL of the service mid-run and finishes exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_crash_" });
  const kvStore = await testKvPath(dir);
  const model = await startScriptedModel({
    // The first SE request hangs until the process is killed; the redelivered turn gets the write.
    se: [{ delayMs: 60_000, then: WRITE_CALCULATOR }, WRITE_CALCULATOR],
    po: [PASS],
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-crash-test",
    });
    server = await ServiceProcess.start(env);
    const id = await postRun(server.url, calculatorRun(remote, "aos/crash"));
    // Wait until the SE's model call is in flight, then kill the whole process.
    await until(
      "the SE call",
      () => model.requests.some((r) => r.agent === "se"),
      60_000,
      25,
    );
    await server.restart(env);
    const run = await waitForRunEnd(server.url, id, 60_000);
    await server.stop();

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
    await server?.stop();
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
