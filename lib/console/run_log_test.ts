import assert from "node:assert/strict";
import { ConsoleLog } from "./run_log.ts";
import { Redactor } from "../redact.ts";
import { StoreKeys } from "../store/mod.ts";
import { sampleRun } from "../store/testing.ts";

const SECRET = "sk-console-SECRET-123456";

function consoleLog(format: "text" | "json") {
  const lines: string[] = [];
  const keys = new StoreKeys(["aos"]);
  const log = new ConsoleLog({
    write: (l) => lines.push(l),
    format,
    redactor: new Redactor([SECRET]),
    isRunKey: (key) => keys.runIdOf(key) !== null,
  });
  const write = (run: ReturnType<typeof sampleRun>, committed = true) =>
    log.noteWrites([
      { kind: "set", key: ["aos", "run_by_time", run.id], value: run.id },
      { kind: "set", key: keys.run(run.id), value: run },
    ], committed);
  return { lines, log, write };
}

Deno.test("ConsoleLog logs a run's landed state changes once each, never an uncommitted one", () => {
  const { lines, write } = consoleLog("text");
  const run = sampleRun({ title: "Add multiply", status: "PENDING" });
  write(run);
  write(run); // a redelivered step committing the same state
  write({ ...run, status: "RUNNING" }, false); // a commit that did not land
  write({ ...run, status: "RUNNING", iteration: 1 });
  write({
    ...run,
    status: "FAILED",
    iteration: 1,
    error: `Model API rejected ${SECRET}\nsecond line`,
    finished_at: "2026-12-06T04:00:00.000Z",
    result_summary: "Failed during prepare",
  });
  assert.deepEqual(lines, [
    `RUN ${run.id} PENDING iter=0 title="Add multiply"`,
    `RUN ${run.id} RUNNING iter=1 title="Add multiply"`,
    `ERROR: RUN ${run.id} FAILED iter=1 title="Add multiply" result="Failed during prepare" error="Model API rejected [REDACTED] ⏎ second line"`,
  ]);
});

Deno.test("ConsoleLog in JSON: one object per line, free lines leveled by their prefix, secrets redacted", () => {
  const { lines, log, write } = consoleLog("json");
  log.line(`WARNING: key ${SECRET} looks odd`);
  log.line("Swept 3 chunks");
  const run = sampleRun({ title: `T ${SECRET}`, status: "RUNNING" });
  write(run);
  const parsed = lines.map((l) => JSON.parse(l));
  assert.deepEqual(parsed.map((p) => [p.level, p.msg]), [
    ["warn", "WARNING: key [REDACTED] looks odd"],
    ["info", "Swept 3 chunks"],
    ["info", "run"],
  ]);
  assert.equal(parsed[2].run_id, run.id);
  assert.equal(parsed[2].title, "T [REDACTED]");
  assert.equal(parsed[2].status, "RUNNING");
  assert.ok(!lines.join("").includes(SECRET));
});
