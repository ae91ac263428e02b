import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { stepSummary } from "./step_summary.ts";

Deno.test("stepSummary() keeps the path, never the content", () => {
  assertEquals(
    stepSummary({
      step: 2,
      tool: "write_file",
      rawArguments: JSON.stringify({ path: "a.ts", content: "SECRET CODE" }),
      durationMs: 3.4,
    }),
    { step: 2, tool: "write_file", ok: true, path: "a.ts", duration_ms: 3 },
  );
});

Deno.test("stepSummary() masks a command before shortening it and flattens control characters", () => {
  const step = stepSummary({
    step: 1,
    tool: "run_command",
    rawArguments: JSON.stringify({
      command: `${"x".repeat(190)} tok-123456789\n\u001b[31m`,
    }),
    durationMs: 0,
    redact: (s) => s.replaceAll("tok-123456789", "[REDACTED]"),
  });
  assertEquals(step.command?.length, 200);
  assertEquals(step.command?.includes("tok-"), false);
  assertEquals([...(step.command ?? "")].some((c) => c < " "), false);
});

Deno.test("stepSummary() reads hostile arguments defensively", () => {
  for (const raw of ["not json", "[1]", "null", '{"path": {"x": 1}}']) {
    const step = stepSummary({
      step: 1,
      tool: "read_file",
      rawArguments: raw,
      error: "bad_arguments",
      durationMs: 0,
    });
    assertEquals(step.path, undefined);
    assertEquals(step.ok, false);
  }
});
