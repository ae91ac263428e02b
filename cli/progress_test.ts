import assert from "node:assert/strict";
import type { RunEvent } from "../lib/store/types.ts";
import { formatElapsed, Progress, stepOf } from "./progress.ts";

function ev(
  kind: string,
  iteration: number | null,
  payload: Record<string, unknown> = {},
): RunEvent {
  return {
    seq: "1",
    ts: "2026-01-31T12:00:00Z",
    level: "INFO",
    kind,
    iteration,
    payload,
  };
}

Deno.test("Progress.line() shows elapsed time, iteration N/max and the current step", () => {
  let now = 1_000;
  const written: string[] = [];
  const progress = new Progress({
    maxIterations: 5,
    write: (t) => written.push(t),
    now: () => now,
  });
  assert.equal(progress.line(), "⏱ 00:00  iteration -/5  submitted");
  progress.update(ev("RUN_START", null, { max_iterations: 5 }));
  progress.update(
    ev("SE_OUTPUT", 2, { writes: 1, deletes: 0, summary: "done" }),
  );
  now += 75_000;
  assert.equal(progress.line(), "⏱ 01:15  iteration 2/5  applying changes");
  progress.draw();
  assert.equal(
    written.at(-1),
    "\r\x1b[2K⏱ 01:15  iteration 2/5  applying changes",
  );
});

Deno.test("Progress.print() writes a line above and redraws the progress line", () => {
  const written: string[] = [];
  const progress = new Progress({
    maxIterations: 3,
    write: (t) => written.push(t),
    now: () => 0,
  });
  progress.print("[x] PO_RESULT");
  assert.deepEqual(written, [
    "\r\x1b[2K[x] PO_RESULT\n",
    "\r\x1b[2K⏱ 00:00  iteration -/3  submitted",
  ]);
  progress.stop();
  assert.equal(written.at(-1), "\r\x1b[2K");
});

Deno.test("Progress.line() fits the terminal width", () => {
  const progress = new Progress({
    maxIterations: 3,
    write: () => {},
    now: () => 0,
    columns: 30,
  });
  progress.update(
    ev("ERROR", 1, { stage: "tool_runner", message: "x".repeat(200) }),
  );
  assert.equal(progress.line().length, 29);
  assert.match(progress.line(), /…$/);
});

Deno.test("stepOf() shows a model call in flight and its retries", () => {
  assert.equal(
    stepOf(ev("MODEL_PROGRESS", 1, {
      agent: "se",
      model: "m",
      attempt: 1,
      phase: "replying",
      tokens_so_far: 120,
      elapsed_s: 40,
    })),
    "engineer model replying (120 tokens, 40 s)",
  );
  assert.equal(
    stepOf(ev("MODEL_PROGRESS", 1, {
      agent: "po",
      model: "m",
      attempt: 1,
      phase: "reading the prompt",
      tokens_so_far: 0,
      elapsed_s: 90,
    })),
    "product owner model reading the prompt (90 s)",
  );
  assert.equal(
    stepOf(ev("MODEL_RETRY", 1, {
      agent: "se",
      model: "m",
      reason: "connection refused",
      attempt: 3,
      wait_s: 2.1,
    })),
    "model request failed (connection refused), attempt 3 in 2.1 s",
  );
});

Deno.test("stepOf() names the step that follows each event", () => {
  assert.equal(
    stepOf(ev("TR_APPLY", 1, {
      applied: 1,
      rejected: 0,
      ok: true,
      failed_commands: 0,
    })),
    "product owner reviewing",
  );
  assert.equal(
    stepOf(ev("PO_RESULT", 1, { decision: "FAIL", feedback: "no" })),
    "failed review, engineer retrying",
  );
  assert.equal(
    stepOf(ev("PO_RESULT", 1, { decision: "PASS", feedback: "" })),
    "passed, finishing",
  );
  assert.equal(
    stepOf(ev("RUN_END", null, { status: "SUCCEEDED" })),
    "SUCCEEDED",
  );
  assert.equal(stepOf(ev("SOMETHING_NEW", null)), "something new");
});

Deno.test("formatElapsed() prints mm:ss and h:mm:ss", () => {
  assert.equal(formatElapsed(59_999), "00:59");
  assert.equal(formatElapsed(3_600_000 + 61_000), "1:01:01");
});

Deno.test("stepOf() says which SE tool ran and which command started", () => {
  assert.equal(
    stepOf(ev("SE_STEP", 1, {
      step: 1,
      tool: "read_file",
      path: "calc.py",
      ok: true,
      duration_ms: 3,
    })),
    "engineer: read_file calc.py",
  );
  assert.equal(
    stepOf(
      ev("SE_STEP", 1, {
        step: 2,
        tool: "edit_file",
        path: "x",
        ok: false,
        reason: "tool_error",
        duration_ms: 3,
      }),
    ),
    "engineer: edit_file x (failed: tool_error)",
  );
  assert.equal(
    stepOf(ev("CMD_START", 1, {
      source: "acceptance",
      command: "npm test",
      timeout_s: 60,
    })),
    "running acceptance command: npm test",
  );
  assert.equal(
    stepOf(ev("CMD_START", 1, { source: "se", command: "ls", timeout_s: 60 })),
    "running engineer command: ls",
  );
});

Deno.test("stepOf() says which best-of-N attempt did what", () => {
  const tr = { applied: 1, rejected: 0, failed_commands: 0 };
  assert.deepEqual([
    stepOf(ev("SE_STEP", 1, {
      step: 1,
      tool: "write_file",
      path: "a.py",
      ok: true,
      duration_ms: 1,
      attempt: 2,
    })),
    stepOf(ev("SE_OUTPUT", 1, {
      writes: 1,
      deletes: 0,
      summary: "s",
      attempt: 2,
    })),
    stepOf(ev("TR_APPLY", 1, { ...tr, ok: false, attempt: 2 })),
    stepOf(ev("ATTEMPTS_DROPPED", 1, {
      attempts: [2, 3],
      reason: "acceptance commands failed",
    })),
    stepOf(ev("ATTEMPT_PICKED", 1, {
      attempt: 1,
      decision: "PASS",
      candidates: [1],
      reason: "r",
    })),
    stepOf(ev("ATTEMPT_PICKED", 1, {
      attempt: 1,
      decision: "FAIL",
      candidates: [],
      reason: "r",
    })),
  ], [
    "engineer (attempt 2): write_file a.py",
    "attempt 2 done, checking it",
    "attempt 2 failed its acceptance commands",
    "dropped attempts 2, 3 (acceptance commands failed)",
    "attempt 1 picked, finishing",
    "continuing from attempt 1",
  ]);
});
