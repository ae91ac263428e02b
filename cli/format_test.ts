import assert from "node:assert/strict";
import { noUsage } from "../lib/factory/mod.ts";
import type { RunEvent, RunRecord } from "../lib/store/types.ts";
import {
  formatArtifactTable,
  formatEventLine,
  formatRunTable,
  formatStatusBlock,
  formatSubmitted,
  formatTimestamp,
  formatValue,
  MAX_VALUE_CHARS,
} from "./format.ts";

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "7050d927-c0e3-4381-9809-f7b9e642c5a3",
    status: "SUCCEEDED",
    title: null,
    repo: "https://github.com/user/repo",
    clone_branch: "main",
    push_branch: "feature/my-feature",
    iteration: 1,
    max_iterations: 5,
    created_at: "2026-01-31T12:00:01.000Z",
    started_at: "2026-01-31T12:00:05.000Z",
    finished_at: "2026-01-31T12:00:40.000Z",
    result_summary: "Decision: PASS, pushed to feature/my-feature",
    error: null,
    pull_request_url: null,
    usage: noUsage(),
    work_order_md: "---\nrepo: x\n---\ntask\n",
    ...overrides,
  };
}

function event(overrides: Partial<RunEvent> = {}): RunEvent {
  return {
    seq: "0001",
    ts: "2026-01-31T12:00:01.123Z",
    level: "INFO",
    kind: "RUN_CREATED",
    iteration: null,
    payload: {},
    ...overrides,
  };
}

Deno.test("formatStatusBlock() prints the original service's five lines", () => {
  assert.deepEqual(
    formatStatusBlock(run()),
    [
      "Run:       7050d927-c0e3-4381-9809-f7b9e642c5a3",
      "Status:    SUCCEEDED",
      "Repo:      https://github.com/user/repo @ main",
      "Iteration: 1",
      "Result:    Decision: PASS, pushed to feature/my-feature",
    ].join("\n"),
  );
});

Deno.test("formatStatusBlock() shows the error of a failed run and a title line", () => {
  const text = formatStatusBlock(run({
    status: "FAILED",
    title: "Add calculator",
    iteration: 3,
    result_summary: "Decision: FAIL",
    error: "Max iterations reached:\n tests fail",
  }));
  const lines = text.split("\n");
  assert.deepEqual(lines[1], "Status:    FAILED");
  assert.deepEqual(lines[3], "Iteration: 3");
  assert.deepEqual(lines[4], "Result:    Max iterations reached: tests fail");
  assert.deepEqual(lines[5], "Title:     Add calculator");
});

Deno.test("formatStatusBlock() shows - as the result of a run still going", () => {
  const text = formatStatusBlock(
    run({ status: "RUNNING", result_summary: null }),
  );
  assert.match(text, /^Result: {4}-$/m);
});

Deno.test("formatSubmitted() prints the run id and status", () => {
  assert.deepEqual(
    formatSubmitted(run({ status: "PENDING" })),
    "Run:       7050d927-c0e3-4381-9809-f7b9e642c5a3\nStatus:    PENDING",
  );
});

Deno.test("formatEventLine() matches the original log format", () => {
  assert.deepEqual(
    formatEventLine(event()),
    "[2026-01-31 12:00:01] [INFO ] RUN_CREATED          iter=-",
  );
  assert.deepEqual(
    formatEventLine(event({
      kind: "TR_APPLY",
      iteration: 1,
      payload: { applied: 2, ok: true },
    })),
    "[2026-01-31 12:00:01] [INFO ] TR_APPLY             iter=1 applied=2 ok=true",
  );
});

Deno.test("formatEventLine() quotes strings with spaces and skips nulls", () => {
  const line = formatEventLine(event({
    kind: "RUN_END",
    level: "ERROR",
    payload: {
      status: "FAILED",
      error: 'bad "thing" here',
      result_summary: null,
    },
  }));
  assert.deepEqual(
    line,
    '[2026-01-31 12:00:01] [ERROR] RUN_END              iter=- status=FAILED error="bad \\"thing\\" here"',
  );
});

Deno.test("formatEventLine() prints timestamps in UTC", () => {
  assert.match(
    formatEventLine(event({ ts: "2026-01-31T14:00:01+02:00" })),
    /^\[2026-01-31 12:00:01\] /,
  );
});

Deno.test("formatValue() truncates long values and renders lists compactly", () => {
  const long = formatValue("x".repeat(500));
  assert.deepEqual(long.length, MAX_VALUE_CHARS);
  assert.match(long, /…$/);
  assert.deepEqual(formatValue(["a.py", "b.py"]), '["a.py","b.py"]');
  assert.deepEqual(formatValue(""), '""');
  assert.deepEqual(formatValue("line\nbreak"), '"line\\nbreak"');
});

Deno.test("formatTimestamp() leaves unparsable values alone", () => {
  assert.deepEqual(formatTimestamp("yesterday"), "yesterday");
  assert.deepEqual(formatTimestamp(null), "-");
});

Deno.test("formatRunTable() aligns columns under a header", () => {
  const table = formatRunTable([
    run(),
    run({ id: "short", status: "FAILED", title: "Fix it", iteration: 5 }),
  ]);
  const lines = table.split("\n");
  assert.deepEqual(lines.length, 3);
  assert.match(lines[0] ?? "", /^ID +STATUS +ITER +CREATED +TITLE$/);
  const statusCol = (lines[0] ?? "").indexOf("STATUS");
  assert.deepEqual((lines[1] ?? "").indexOf("SUCCEEDED"), statusCol);
  assert.deepEqual((lines[2] ?? "").indexOf("FAILED"), statusCol);
  assert.match(
    lines[1] ?? "",
    /1\/5 +2026-01-31 12:00:01 +https:\/\/github.com\/user\/repo$/,
  );
  assert.match(lines[2] ?? "", /5\/5 .* Fix it$/);
});

Deno.test("formatArtifactTable() lists name, type, size and time", () => {
  const table = formatArtifactTable([
    {
      name: "summary.json",
      content_type: "application/json",
      bytes: 120,
      created_at: "2026-01-31T12:00:40Z",
    },
  ]);
  assert.deepEqual(
    table,
    "NAME          TYPE              BYTES  CREATED\n" +
      "summary.json  application/json  120    2026-01-31 12:00:40",
  );
});

Deno.test("formatStatusBlock() prints the pull request when the run opened one", () => {
  const block = formatStatusBlock(
    run({ pull_request_url: "https://git.example.com/o/r/pulls/7" }),
  );
  assert.match(block, /^PR: {8}https:\/\/git\.example\.com\/o\/r\/pulls\/7$/m);
  assert.doesNotMatch(formatStatusBlock(run()), /^PR:/m);
});

Deno.test("formatStatusBlock() and formatSubmitted() end with the run's dashboard link when given", () => {
  const link = "http://localhost:8000/ui/runs/r1";
  assert.match(
    formatStatusBlock(run(), link),
    /\nLink: {6}http:\/\/localhost:8000\/ui\/runs\/r1$/,
  );
  assert.equal(
    formatSubmitted(run({ status: "PENDING" }), link).split("\n").at(-1),
    `Link:      ${link}`,
  );
  assert.doesNotMatch(formatStatusBlock(run()), /^Link:/m);
});
