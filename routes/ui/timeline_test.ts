import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunEvent } from "../../lib/store/mod.ts";
import { buildTimeline } from "./timeline.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
let seq = 0;
function ev(
  kind: string,
  atS: number,
  iteration: number | null = null,
  payload: Record<string, unknown> = {},
): RunEvent {
  return {
    seq: String(++seq).padStart(6, "0"),
    ts: new Date(T0 + atS * 1000).toISOString(),
    level: "INFO",
    kind,
    iteration,
    payload,
  };
}
// Usage as runs recorded it before cache and reasoning tokens were counted.
const usage = (total_tokens: number, cost_usd: number) => ({
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens, cost_usd },
});
/** An SE_OUTPUT payload as the run actor writes it. */
const se = (summary: string, tokens: number, cost: number) => ({
  writes: 1,
  deletes: 0,
  summary,
  ...usage(tokens, cost),
});

Deno.test("buildTimeline() places each iteration's SE, TR and PO phases and sums usage", () => {
  const t = buildTimeline([
    ev("RUN_CREATED", 0),
    ev("RUN_START", 1),
    ev("WORKSPACE_READY", 2),
    ev("SE_OUTPUT", 5, 1, se("first", 100, 0.01)),
    ev("CMD_RESULT", 6, 1),
    ev("TR_APPLY", 7, 1),
    ev("PO_RESULT", 8, 1, { decision: "FAIL", feedback: "nope" }),
    ev("SE_OUTPUT", 10, 2, se("second", 50, 0.005)),
    ev("TR_APPLY", 11, 2),
    ev("PO_RESULT", 12, 2, {
      decision: "PASS",
      feedback: "done",
      ...usage(20, 0.002),
    }),
    ev("PUSH", 14, 2),
    ev("RUN_END", 14),
  ], T0 + 100_000);
  const s = (phase: { start: number; end: number }) => [
    (phase.start - T0) / 1000,
    (phase.end - T0) / 1000,
  ];
  assertEquals(t.start, T0 + 1000);
  assertEquals(t.end, T0 + 14_000);
  assertEquals(s(t.prepare!), [1, 2]);
  assertEquals(
    t.iterations.map((it) => it.phases.map((p) => [p.kind, ...s(p)])),
    [
      [["SE", 2, 5], ["TR", 5, 7], ["PO", 7, 8]],
      [["SE", 8, 10], ["TR", 10, 11], ["PO", 11, 12]],
    ],
  );
  assertEquals(s(t.finalize!), [12, 14]);
  assertEquals(t.iterations.map((it) => it.usage), [
    { total_tokens: 100, cost_usd: 0.01 },
    { total_tokens: 70, cost_usd: 0.007 },
  ]);
  assertEquals(t.iterations.map((it) => [it.decision, it.feedback]), [
    ["FAIL", "nope"],
    ["PASS", "done"],
  ]);
  assertEquals(t.iterations[0]!.seSummary, "first");
});

Deno.test("buildTimeline() runs a live phase up to now and cuts an open one at RUN_END", () => {
  const live = buildTimeline([
    ev("RUN_START", 0),
    ev("WORKSPACE_READY", 1),
    ev("SE_OUTPUT", 3, 1),
  ], T0 + 10_000);
  const tr = live.iterations[0]!.phases[1]!;
  assertEquals([tr.kind, tr.live, tr.end], ["TR", true, T0 + 10_000]);
  assertEquals(live.end, T0 + 10_000);
  assertEquals(live.iterations[0]!.usage, null);

  const cancelled = buildTimeline([
    ev("RUN_START", 0),
    ev("WORKSPACE_READY", 1),
    ev("RUN_CANCELLED", 4, 1),
    ev("RUN_END", 4),
  ], T0 + 60_000);
  const se = cancelled.iterations[0]!.phases[0]!;
  assertEquals([se.kind, se.live, se.end], ["SE", false, T0 + 4000]);
  assertEquals(cancelled.end, T0 + 4000);

  assertEquals(buildTimeline([ev("RUN_CREATED", 0)], T0).start, null);
});

Deno.test("buildTimeline() shows no phantom iteration after the last FAIL at max_iterations", () => {
  const t = buildTimeline([
    ev("RUN_START", 1),
    ev("WORKSPACE_READY", 2),
    ev("SE_OUTPUT", 5, 1),
    ev("TR_APPLY", 7, 1),
    ev("PO_RESULT", 8, 1, { decision: "FAIL" }),
    ev("SE_OUTPUT", 10, 2),
    ev("TR_APPLY", 11, 2),
    ev("PO_RESULT", 12, 2, { decision: "FAIL" }),
    ev("RUN_END", 12, null, { status: "FAILED" }),
  ], T0 + 100_000);
  assertEquals(t.iterations.map((it) => it.iteration), [1, 2]);
});

Deno.test("buildTimeline() keeps an iteration cut short once one of its events was seen", () => {
  const t = buildTimeline([
    ev("RUN_START", 1),
    ev("WORKSPACE_READY", 2),
    ev("SE_OUTPUT", 5, 1),
    ev("TR_APPLY", 7, 1),
    ev("PO_RESULT", 8, 1, { decision: "FAIL" }),
    ev("SE_STEP", 9, 2, { tool: "read_file", ok: true }),
    ev("RUN_CANCELLED", 10, null),
    ev("RUN_END", 10, null, { status: "CANCELLED" }),
  ], T0 + 100_000);
  assertEquals(t.iterations.map((it) => it.iteration), [1, 2]);
});

const tr = { applied: 1, rejected: 0, ok: true, failed_commands: 0 };

Deno.test("buildTimeline() keeps a best-of-N iteration one SE phase, sums every attempt and takes the picked one's summary", () => {
  const t = buildTimeline([
    ev("RUN_START", 0),
    ev("WORKSPACE_READY", 1),
    ev("SE_OUTPUT", 3, 1, { ...se("two", 100, 0.01), attempt: 2 }),
    ev("TR_APPLY", 4, 1, { ...tr, attempt: 2 }),
    ev("SE_OUTPUT", 5, 1, { ...se("one", 100, 0.01), attempt: 1 }),
    ev("TR_APPLY", 6, 1, { ...tr, attempt: 1 }),
    ev("ATTEMPTS_DROPPED", 6, 1, { attempts: [1], reason: "x" }),
    ev("PO_RESULT", 8, 1, {
      attempt: 2,
      decision: "PASS",
      feedback: "ok",
      ...usage(10, 0.001),
    }),
    ev("RUN_END", 9),
  ], T0 + 100_000);
  const [it] = t.iterations;
  assertEquals(
    it!.phases.map((p) => [p.kind, (p.start - T0) / 1000, (p.end - T0) / 1000]),
    [["SE", 1, 8]],
  );
  assertEquals(it!.usage, { total_tokens: 210, cost_usd: 0.021 });
  assertEquals([it!.seSummary, it!.decision], ["two", "PASS"]);
});
