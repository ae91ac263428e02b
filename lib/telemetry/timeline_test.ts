import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunEvent } from "../store/mod.ts";
import { runParts } from "./timeline.ts";

let seq = 0;
/** An event `s` seconds into the run. */
function at(
  s: number,
  kind: string,
  iteration: number | null = null,
  payload: Record<string, unknown> = {},
): RunEvent {
  return {
    seq: String(++seq).padStart(6, "0"),
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
    level: "INFO",
    kind,
    iteration,
    payload,
  };
}

/** Each part as `key parent start-end` in seconds. */
function shape(events: RunEvent[]): string[] {
  const t0 = Date.UTC(2026, 0, 1);
  return runParts(events).map((p) =>
    `${p.key} ${p.parent ?? "-"} ${(p.start - t0) / 1000}-${
      (p.end - t0) / 1000
    }`
  );
}

Deno.test("runParts() reads setup, two iterations with their stages, push and pull request from the log", () => {
  assertEquals(
    shape([
      at(0, "RUN_CREATED"),
      at(1, "RUN_START"),
      at(5, "WORKSPACE_READY"),
      at(7, "SE_STEP", 1),
      at(10, "SE_OUTPUT", 1),
      at(12, "CMD_RESULT", 1),
      at(13, "TR_APPLY", 1),
      at(14, "PO_RESULT", 1, { decision: "FAIL" }),
      at(20, "SE_OUTPUT", 2),
      at(22, "TR_APPLY", 2),
      at(25, "PO_RESULT", 2, { decision: "PASS" }),
      at(27, "PUSH", 2, { pushed: true }),
      at(29, "PR_OPENED", 2),
      at(30, "RUN_END", null, { status: "SUCCEEDED" }),
    ]),
    [
      "setup - 1-5",
      "se/1 iteration/1 5-10",
      "apply/1 iteration/1 10-13",
      "po/1 iteration/1 13-14",
      "iteration/1 - 5-14",
      "se/2 iteration/2 14-20",
      "apply/2 iteration/2 20-22",
      "po/2 iteration/2 22-25",
      "iteration/2 - 14-25",
      "push - 25-27",
      "pull_request - 27-29",
    ],
  );
});

Deno.test("runParts() starts no iteration after a FAIL at max_iterations, and closes one a failure ended", () => {
  assertEquals(
    shape([
      at(1, "RUN_START"),
      at(2, "WORKSPACE_READY"),
      at(4, "SE_OUTPUT", 1),
      at(5, "TR_APPLY", 1),
      at(6, "PO_RESULT", 1, { decision: "FAIL" }),
      at(7, "RUN_END", null, { status: "FAILED" }),
    ]),
    [
      "setup - 1-2",
      "se/1 iteration/1 2-4",
      "apply/1 iteration/1 4-5",
      "po/1 iteration/1 5-6",
      "iteration/1 - 2-6",
    ],
  );
  const parts = runParts([
    at(1, "RUN_START"),
    at(2, "WORKSPACE_READY"),
    at(3, "SE_STEP", 1),
    at(9, "RUN_CANCELLED", 1),
    at(9, "RUN_END", null, { status: "CANCELLED" }),
  ]);
  assertEquals(
    parts.map((p) => [p.key, p.attributes["aos.decision"] ?? null]),
    [["setup", null], ["iteration/1", "none"]],
  );
});

Deno.test("runParts() ignores events out of order or of another iteration (a hostile or stale log)", () => {
  assertEquals(
    shape([
      at(1, "RUN_START"),
      at(2, "WORKSPACE_READY"),
      at(3, "SE_OUTPUT", 7),
      at(4, "PO_RESULT", 3, { decision: "PASS" }),
      { ...at(5, "TR_APPLY", 1), ts: "not a time" },
      at(6, "RUN_END", null, { status: "FAILED" }),
    ]),
    ["setup - 1-2"],
  );
});

Deno.test("runParts() gives each best-of-N attempt its own SE turn and check, and starts the review after the last check", () => {
  const parts = shape([
    at(1, "RUN_START"),
    at(5, "WORKSPACE_READY"),
    at(9, "SE_OUTPUT", 1, { attempt: 2 }),
    at(10, "TR_APPLY", 1, { attempt: 2 }),
    at(11, "SE_OUTPUT", 1, { attempt: 1 }),
    at(13, "TR_APPLY", 1, { attempt: 1 }),
    at(16, "PO_RESULT", 1, { decision: "PASS", attempt: 2 }),
    at(18, "PUSH", 1, { pushed: true }),
    at(19, "RUN_END", null, { status: "SUCCEEDED" }),
  ]);
  assertEquals(parts, [
    "setup - 1-5",
    "se/1/attempt-2 iteration/1 5-9",
    "apply/1/attempt-2 iteration/1 9-10",
    "se/1/attempt-1 iteration/1 5-11",
    "apply/1/attempt-1 iteration/1 11-13",
    "po/1 iteration/1 13-16",
    "iteration/1 - 5-16",
    "push - 16-18",
  ]);
  // Every part has its own key, so every span its own id.
  assertEquals(new Set(parts.map((p) => p.split(" ")[0])).size, parts.length);
});
