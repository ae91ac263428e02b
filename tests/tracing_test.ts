/**
 * OpenTelemetry traces end to end: a real service with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver on loopback,
 * a two-iteration run driven by the scripted model; the spans arrive as one
 * tree under the run's trace context.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { testKvPath } from "../lib/store/testing.ts";
import { calculatorRun, PASS, writeCalculator } from "./support/calculator.ts";
import { seedRepo, withHarness } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import {
  finishCall,
  startScriptedModel,
  writeFileCall,
} from "../lib/llm/testing.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
  waitForRunEnd,
} from "./support/server_process.ts";
import { startOtlpReceiver } from "./support/otlp_receiver.ts";

Deno.test("a two-iteration run sends one trace: run → setup, iterations → SE turn, apply, PO review → model calls, tool calls, commands", async () => {
  const receiver = startOtlpReceiver();
  try {
    await withHarness({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      script: {
        se: [
          {
            tool_calls: [
              writeFileCall(
                "calculator.py",
                "def add(a, b):\n    return a - b\n",
              ),
              finishCall("first try"),
            ],
          },
          writeCalculator("fixed"),
        ],
        po: [PASS],
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
      }));
      const done = await h.waitForEnd(run.id, 180_000);
      assertEquals(done.status, "SUCCEEDED", done.error ?? "");
      await h.svc.telemetry.settle();
      await h.svc.telemetry.tracing!.flush();

      const [, traceId, rootId] = done.traceparent!.split("-");
      const spans = receiver.spans;
      ok(spans.length > 0, "no span arrived");
      for (const s of spans) {
        assertEquals(s.traceId, traceId, `${s.name} is in another trace`);
        assertEquals(s.attributes["aos.run_id"], run.id, s.name);
      }
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const named = (name: string) => spans.filter((s) => s.name === name);
      const parentName = (s: { parentSpanId: string | null }) =>
        s.parentSpanId === null ? null : byId.get(s.parentSpanId)?.name;
      const root = named("run");
      assertEquals(root.length, 1);
      assertEquals(root[0]!.spanId, rootId);
      assertEquals(root[0]!.parentSpanId, null);
      assertEquals(root[0]!.attributes["aos.status"], "SUCCEEDED");
      assertEquals(named("setup").map(parentName), ["run"]);
      const iterations = named("iteration");
      assertEquals(
        iterations.map((
          s,
        ) => [
          s.attributes["aos.iteration"],
          s.attributes["aos.decision"],
          parentName(s),
        ]),
        [[1, "FAIL", "run"], [2, "PASS", "run"]],
      );
      for (const stage of ["se.turn", "tr.apply", "po.review"]) {
        assertEquals(
          named(stage).map(parentName),
          ["iteration", "iteration"],
          stage,
        );
      }
      // Two SE model calls under SE turns, one PO call under a PO review.
      const calls = named("model.call");
      assertEquals(
        calls.map((c) => [parentName(c), c.attributes["aos.agent"]]).sort(),
        [["po.review", "po"], ["se.turn", "se"], ["se.turn", "se"]],
      );
      for (const c of calls) {
        assertEquals(c.attributes["gen_ai.request.model"], "gpt-4.1-mini");
        ok((c.attributes["gen_ai.usage.input_tokens"] as number) > 0);
      }
      // Each SE turn: write_file and finish.
      assertEquals(
        named("tool.call").map(parentName),
        Array(4).fill("se.turn"),
      );
      const commands = named("command");
      assertEquals(
        commands.map((
          c,
        ) => [parentName(c), c.attributes["process.exit.code"], c.error]),
        [["tr.apply", 1, true], ["tr.apply", 0, false]],
      );
      // Children sit inside their parents' time.
      for (const s of spans) {
        const parent = s.parentSpanId ? byId.get(s.parentSpanId) : null;
        if (!parent) continue;
        ok(
          s.startMs >= parent.startMs - 5 && s.endMs <= parent.endMs + 5,
          `${s.name} outside ${parent.name}`,
        );
      }
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a run's trace continues across a SIGKILL and restart of its service: one tree, the parts each process wrote under the same parents", async () => {
  const receiver = startOtlpReceiver();
  const dir = await Deno.makeTempDir({ prefix: "aos_trace_crash_" });
  const kvStore = await testKvPath(dir);
  const model = await startScriptedModel({
    se: [
      {
        tool_calls: [
          writeFileCall("calculator.py", "def add(a, b):\n    return a - b\n"),
          finishCall("first try"),
        ],
      },
      // Iteration 2's call hangs until the process is killed; the redelivered turn gets the fix.
      { delayMs: 60_000, then: writeCalculator("fixed") },
      writeCalculator("fixed"),
    ],
    po: [PASS],
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-trace-crash-test",
      extra: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    server = await ServiceProcess.start(env);
    const id = await postRun(server.url, {
      ...calculatorRun(remote, "aos/trace-crash"),
      max_iterations: 3,
    });
    // The first process sent iteration 1's leaf spans, then hangs in iteration 2.
    await until(
      "iteration 1's acceptance command span",
      () => receiver.spans.some((s) => s.name === "command"),
      90_000,
    );
    await until(
      "iteration 2's SE call",
      () => model.requests.filter((r) => r.agent === "se").length >= 2,
      90_000,
    );
    const beforeKill = receiver.spans.map((s) => s.spanId);
    await server.restart(env);
    const run = await waitForRunEnd(server.url, id, 120_000);
    assertEquals(run.status, "SUCCEEDED", run.error ?? "");
    await until(
      "the run's span",
      () => receiver.spans.some((s) => s.name === "run"),
      30_000,
    );
    await server.stop();

    const [, traceId, rootId] = run.traceparent!.split("-");
    const spans = receiver.spans;
    for (const s of spans) assertEquals(s.traceId, traceId, s.name);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    // Every span has its parent in the tree, those sent before the kill too.
    for (const s of spans) {
      if (s.parentSpanId === null) {
        assertEquals([s.name, s.spanId], ["run", rootId]);
      } else ok(byId.has(s.parentSpanId), `${s.name} has no parent`);
    }
    ok(beforeKill.length > 0);
    const first = spans.filter((s) => beforeKill.includes(s.spanId));
    ok(first.some((s) => s.name === "model.call"));
    for (const s of first) {
      assertEquals(byId.get(s.parentSpanId!)!.attributes["aos.iteration"], 1);
    }
    assertEquals(
      spans.filter((s) => s.name === "iteration").map((s) =>
        s.attributes["aos.decision"]
      ),
      ["FAIL", "PASS"],
    );
    // Iteration 2's SE turn holds the call the restarted process made.
    const se2 = spans.find((s) =>
      s.name === "se.turn" && s.attributes["aos.iteration"] === 2
    )!;
    ok(
      spans.some((s) =>
        s.name === "model.call" && s.parentSpanId === se2.spanId
      ),
    );
  } finally {
    await server?.stop();
    await model.close();
    await receiver.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
