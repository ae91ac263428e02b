import assert from "node:assert/strict";
import {
  type AttemptResult,
  EVAL_RESULT_FORMAT,
  type EvalResult,
  evalTotals,
} from "../lib/eval/mod.ts";
import {
  formatAttemptTable,
  formatComparison,
  formatMarkdown,
  formatTotals,
} from "./eval_format.ts";

function attempt(over: Partial<AttemptResult>): AttemptResult {
  return {
    task: "t",
    attempt: 1,
    run_id: "r1",
    status: "SUCCEEDED",
    claimed_pass: true,
    hidden_check: "passed",
    hidden_check_detail: null,
    iterations: 2,
    model_calls: 7,
    prompt_tokens: 1234,
    completion_tokens: 56,
    cost_usd: 0.0123,
    wall_s: 12.34,
    model: "m",
    error: null,
    ...over,
  };
}

function result(attempts: AttemptResult[], runner = "aos"): EvalResult {
  return {
    format: EVAL_RESULT_FORMAT,
    runner,
    suite: "eval/tasks",
    tasks: [...new Set(attempts.map((a) => a.task))],
    models: { model: "m|x", se_model: null, po_model: null },
    options: { repeat: 1, concurrency: 1, quick: false, timeout_s: null },
    machine: "linux x86_64, 2 CPUs",
    started_at: "2026-12-06T00:00:00.000Z",
    finished_at: "2026-12-06T00:10:00.000Z",
    attempts,
    totals: evalTotals(attempts),
  };
}

Deno.test("formatAttemptTable() shows unknown values as '-' and marks a false PASS", () => {
  const table = formatAttemptTable(result([
    attempt({}),
    attempt({
      task: "other",
      status: "ERROR",
      claimed_pass: false,
      hidden_check: "not_run",
      iterations: null,
      model_calls: null,
      cost_usd: null,
      wall_s: 0,
    }),
    attempt({ task: "fp", hidden_check: "failed" }),
  ]));
  assert.equal(
    table,
    [
      "TASK   #  STATUS     HIDDEN             ITER  CALLS  PROMPT  COMPL  WALL    COST",
      "t      1  SUCCEEDED  pass               2     7      1234    56     12.3 s  $0.0123",
      "other  1  ERROR      -                  -     -      1234    56     0.0 s   -",
      "fp     1  SUCCEEDED  FAIL (false PASS)  2     7      1234    56     12.3 s  $0.0123",
    ].join("\n"),
  );
});

Deno.test("formatTotals() says '-' per solved task when nothing was solved", () => {
  const totals = formatTotals(
    evalTotals([attempt({ hidden_check: "failed", cost_usd: null })]),
  );
  assert.match(totals, /^Solved: +0\/1 \(0\.0 %, 95 % CI 0\.0 % – 79\.3 %\)$/m);
  assert.match(totals, /^False PASS: +1$/m);
  assert.match(
    totals,
    /^Prompt tokens: +1234 \(1234 per task, - per solved task\)$/m,
  );
  assert.match(totals, /^Seconds per solved task: +-$/m);
  assert.match(totals, /^Cost: +-$/m);
});

Deno.test("formatMarkdown() escapes pipes in cells", () => {
  const md = formatMarkdown(result([attempt({ task: "a|b" })]));
  assert.match(md, /^- Models: model `m\|x`$/m);
  assert.match(md, /^\| a\\\|b \| 1 \| SUCCEEDED \| pass \|/m);
});

Deno.test("formatComparison() lines up tasks either side ran, '-' where one did not", () => {
  const text = formatComparison(
    { label: "a.json", result: result([attempt({ task: "x" })]) },
    {
      label: "b.json",
      result: result([
        attempt({ task: "x", hidden_check: "failed", prompt_tokens: 99 }),
        attempt({ task: "y" }),
      ], "mini-swe-agent"),
    },
  );
  assert.match(
    text,
    /^A: a\.json \(aos, 2026-12-06T00:00:00\.000Z\)\nB: b\.json \(mini-swe-agent, /,
  );
  assert.match(text, /\nx +1\/1 +0\/1 +1234 +99 +12\.3 s +12\.3 s\n/);
  assert.match(text, /\ny +- +1\/1 +- +1234 +- +12\.3 s\n/);
  assert.match(text, /\nSolved +1\/1 \(100\.0 %, .*\) +1\/2 \(50\.0 %, /);
});
