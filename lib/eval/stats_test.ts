import assert from "node:assert/strict";
import type { AttemptResult } from "./result.ts";
import { evalTotals, taskSummaries, wilsonInterval } from "./stats.ts";

function attempt(over: Partial<AttemptResult>): AttemptResult {
  return {
    task: "t",
    attempt: 1,
    run_id: "r",
    status: "SUCCEEDED",
    claimed_pass: true,
    hidden_check: "passed",
    hidden_check_detail: null,
    iterations: 1,
    model_calls: 2,
    prompt_tokens: 100,
    completion_tokens: 10,
    cost_usd: null,
    wall_s: 10,
    model: null,
    error: null,
    ...over,
  };
}

const round = (pair: [number, number]) => pair.map((x) => Number(x.toFixed(4)));

Deno.test("wilsonInterval() matches the textbook values and stays inside [0, 1]", () => {
  assert.deepEqual(round(wilsonInterval(1, 3)), [0.0615, 0.7923]);
  assert.deepEqual(round(wilsonInterval(0, 12)), [0, 0.2425]);
  assert.deepEqual(round(wilsonInterval(12, 12)), [0.7575, 1]);
  assert.deepEqual(round(wilsonInterval(50, 100)), [0.4038, 0.5962]);
  assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
});

Deno.test("evalTotals() counts solved, false PASS, and divides by solved tasks only when there are some", () => {
  const totals = evalTotals([
    attempt({ task: "a", cost_usd: 0.5 }),
    attempt({ task: "b", hidden_check: "failed", wall_s: 30 }),
    attempt({
      task: "c",
      status: "FAILED",
      claimed_pass: false,
      hidden_check: "not_run",
      prompt_tokens: 300,
    }),
    // A failed check the agent did not claim is no false PASS.
    attempt({ task: "d", claimed_pass: false, hidden_check: "failed" }),
  ]);
  assert.equal(totals.solved, 1);
  assert.equal(totals.false_pass, 1);
  assert.equal(totals.solve_rate, 0.25);
  assert.equal(totals.prompt_tokens, 600);
  assert.equal(totals.prompt_tokens_per_task, 150);
  assert.equal(totals.prompt_tokens_per_solved, 600);
  assert.equal(totals.tokens_per_solved, 640);
  assert.equal(totals.seconds_per_solved, 60);
  assert.equal(totals.cost_usd, 0.5);
  const none = evalTotals([attempt({ hidden_check: "error" })]);
  assert.equal(none.solved, 0);
  assert.equal(none.prompt_tokens_per_solved, null);
  assert.equal(none.seconds_per_solved, null);
  assert.equal(none.cost_usd, null);
  assert.equal(evalTotals([]).solve_rate, 0);
});

Deno.test("taskSummaries() groups repeats per task in first-seen order", () => {
  const summaries = taskSummaries([
    attempt({ task: "b" }),
    attempt({ task: "a", hidden_check: "failed", prompt_tokens: 300 }),
    attempt({ task: "b", attempt: 2, hidden_check: "failed", wall_s: 20 }),
  ]);
  assert.deepEqual(summaries, [
    {
      task: "b",
      attempts: 2,
      solved: 1,
      false_pass: 1,
      prompt_tokens: 100,
      wall_s: 15,
    },
    {
      task: "a",
      attempts: 1,
      solved: 0,
      false_pass: 1,
      prompt_tokens: 300,
      wall_s: 10,
    },
  ]);
});
