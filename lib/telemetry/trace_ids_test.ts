import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { newTraceparent, partSpanId, runTrace } from "./trace_ids.ts";

Deno.test("runTrace() reads a run's traceparent, and derives the same ids from the run id when it has none", () => {
  const traceparent = newTraceparent();
  ok(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(traceparent));
  const [, traceId, spanId] = traceparent.split("-");
  assertEquals(runTrace({ id: "r1", traceparent }), { traceId, spanId });
  const derived = runTrace({ id: "r1" });
  assertEquals(runTrace({ id: "r1" }), derived);
  ok(/^[0-9a-f]{32}$/.test(derived.traceId));
  // Malformed or all-zero contexts (invalid in W3C) fall back too.
  for (
    const bad of [
      "00-zz-1-01",
      `00-${"0".repeat(32)}-${"1".repeat(16)}-01`,
      `00-${"1".repeat(32)}-${"0".repeat(16)}-01`,
    ]
  ) assertEquals(runTrace({ id: "r1", traceparent: bad }), derived);
});

Deno.test("partSpanId() names a part of a run the same in every process, differently per part and per run", () => {
  const a = runTrace({ id: "a" });
  const b = runTrace({ id: "b" });
  assertEquals(
    partSpanId(a, "se/2"),
    partSpanId(runTrace({ id: "a" }), "se/2"),
  );
  ok(partSpanId(a, "se/2") !== partSpanId(a, "se/3"));
  ok(partSpanId(a, "se/2") !== partSpanId(b, "se/2"));
  ok(/^[0-9a-f]{16}$/.test(partSpanId(a, "iteration/1")));
});
