/**
 * OpenTelemetry traces end to end: a real service with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver on loopback,
 * a two-iteration run driven by the scripted model; the spans arrive as one
 * tree under the run's trace context.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { PASS, writeCalculator } from "./support/calculator.ts";
import { withHarness } from "./support/harness.ts";
import { startOtlpReceiver } from "./support/otlp_receiver.ts";
import { finishCall, writeFileCall } from "./support/scripted_model.ts";

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
