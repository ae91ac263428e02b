/**
 * `aos eval` as a process against the real service (KV, git, sandbox,
 * HTTP) with the scripted model: a 3-task suite where one task is solved,
 * one passes the PO but fails its hidden check, and one fails.
 */
import assert from "node:assert/strict";
import { describe, runAos, spawnAos } from "../cli/testing.ts";
import { evalResultSchema } from "../lib/eval/mod.ts";
import type { RunRecord } from "../lib/store/mod.ts";
import { writeFiles } from "../lib/workspace/testing.ts";
import { withHarness } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import type { ScriptedReply } from "../lib/llm/testing.ts";

const BUGGY = "def clamp(x, low, high):\n    return max(low, x)\n";
const FIXED = "def clamp(x, low, high):\n    return max(low, min(x, high))\n";
// Passes the visible check (values above high) but not the hidden one (below low).
const HALF = "def clamp(x, low, high):\n    return min(x, high)\n";

const VISIBLE =
  `python3 -c "from clamp import clamp; assert clamp(9, 0, 5) == 5"`;
const HIDDEN_TEST = [
  "import unittest",
  "from clamp import clamp",
  "",
  "class Hidden(unittest.TestCase):",
  "    def test_range(self):",
  "        self.assertEqual(clamp(9, 0, 5), 5)",
  "        self.assertEqual(clamp(-3, 0, 5), 0)",
  "        self.assertEqual(clamp(2, 0, 5), 2)",
  "",
].join("\n");

/** A task folder's files: repo/clamp.py, task.md, eval.yml, hidden test. */
function clampTask(maxIterations: number): Record<string, string> {
  return {
    "repo/clamp.py": BUGGY,
    "repo/README.md": "# clamp\n",
    "task.md": [
      "---",
      `title: Fix clamp`,
      `max_iterations: ${maxIterations}`,
      `acceptance_commands: [${JSON.stringify(VISIBLE)}]`,
      "---",
      "",
      "clamp(x, low, high) must keep x within [low, high].",
      "",
    ].join("\n"),
    "eval.yml":
      "hidden_check:\n  - python3 -m unittest -q test_hidden_clamp\ndifficulty: easy\n",
    "hidden/test_hidden_clamp.py": HIDDEN_TEST,
  };
}

/** An SE turn writing clamp.py, with fixed usage so totals are exact. */
function seTurn(content: string): ScriptedReply {
  return {
    tool_calls: [
      { name: "write_file", arguments: { path: "clamp.py", content } },
      { name: "finish", arguments: { summary: "Fixed clamp" } },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
  };
}
const pass: ScriptedReply = {
  tool_calls: [{
    name: "submit_verdict",
    arguments: { decision: "PASS", feedback: "Looks right" },
  }],
  usage: { prompt_tokens: 500, completion_tokens: 20, total_tokens: 520 },
};

Deno.test("aos eval runs a suite: solved, false PASS and failed tasks give the right table, totals and JSON", async () => {
  await withHarness({
    script: {
      // Tasks run in name order with --concurrency 1.
      se: [seTurn(FIXED), seTurn(HALF), seTurn(BUGGY)],
      po: [pass, pass],
    },
  }, async (h) => {
    const suite = `${h.dir}/suite`;
    await writeFiles(suite, {
      "suite.yml": "quick: [a-solved]\n",
      ...prefix("a-solved/", clampTask(2)),
      ...prefix("b-false-pass/", clampTask(2)),
      ...prefix("c-failed/", clampTask(1)),
    });
    const json = `${h.dir}/result.json`;
    const markdown = `${h.dir}/result.md`;
    const result = await runAos([
      "eval",
      suite,
      "--se-model",
      "scripted-coder",
      "--json",
      json,
      "--markdown",
      markdown,
      "--timeout",
      "120",
    ], { env: h.cliEnv });
    assert.equal(result.code, 0, describe(result));

    const saved = evalResultSchema.parse(
      JSON.parse(await Deno.readTextFile(json)),
    );
    assert.deepEqual(saved.tasks, ["a-solved", "b-false-pass", "c-failed"]);
    assert.deepEqual(
      saved.attempts.map((a) => [
        a.task,
        a.status,
        a.claimed_pass,
        a.hidden_check,
        a.iterations,
        a.model_calls,
        a.prompt_tokens,
        a.completion_tokens,
        a.model,
      ]),
      [
        [
          "a-solved",
          "SUCCEEDED",
          true,
          "passed",
          1,
          2,
          1500,
          120,
          "scripted-coder",
        ],
        [
          "b-false-pass",
          "SUCCEEDED",
          true,
          "failed",
          1,
          2,
          1500,
          120,
          "scripted-coder",
        ],
        [
          "c-failed",
          "FAILED",
          false,
          "not_run",
          1,
          1,
          1000,
          100,
          "scripted-coder",
        ],
      ],
    );
    // The hidden check's failure is kept for the reader: the command and its output.
    assert.match(
      saved.attempts[1]?.hidden_check_detail ?? "",
      /^hidden check `python3 -m unittest -q test_hidden_clamp` exited 1\n[\s\S]*AssertionError/,
    );
    for (const attempt of saved.attempts) {
      const run: RunRecord = await (await fetch(
        `${h.svc.url}/runs/${attempt.run_id}`,
      )).json();
      assert.equal(run.status, attempt.status);
      assert.equal(run.usage.prompt_tokens, attempt.prompt_tokens);
      // The run itself never saw the hidden test.
      assert.ok(!run.work_order_md.includes("test_hidden_clamp"));
    }
    const totals = saved.totals;
    assert.equal(totals.attempts, 3);
    assert.equal(totals.solved, 1);
    assert.equal(totals.false_pass, 1);
    assert.equal(totals.prompt_tokens, 4000);
    assert.equal(totals.completion_tokens, 340);
    assert.equal(totals.prompt_tokens_per_solved, 4000);
    assert.equal(totals.tokens_per_solved, 4340);
    // Wilson 95 % interval of 1/3.
    assert.deepEqual(
      totals.solve_rate_ci95.map((x) => Number(x.toFixed(4))),
      [0.0615, 0.7923],
    );
    // --se-model reached the model server; the PO kept the service's model.
    const models = h.model.requests.map((
      r,
    ) => [r.agent, (r.body as { model?: string }).model]);
    assert.deepEqual(models, [
      ["se", "scripted-coder"],
      ["po", "gpt-4.1-mini"],
      ["se", "scripted-coder"],
      ["po", "gpt-4.1-mini"],
      ["se", "scripted-coder"],
    ]);

    // The table: one row per attempt, then the totals.
    const lines = result.stdout.split("\n");
    assert.match(
      lines[0] ?? "",
      /^TASK +# +STATUS +HIDDEN +ITER +CALLS +PROMPT +COMPL +WALL +COST$/,
    );
    assert.match(
      lines[1] ?? "",
      /^a-solved +1 +SUCCEEDED +pass +1 +2 +1500 +120 +\d+\.\d s +\$0\.0002$/,
    );
    assert.match(
      lines[2] ?? "",
      /^b-false-pass +1 +SUCCEEDED +FAIL \(false PASS\) +1 +2 +1500 +120 /,
    );
    assert.match(lines[3] ?? "", /^c-failed +1 +FAILED +- +1 +1 +1000 +100 /);
    assert.match(
      result.stdout,
      /\nSolved: +1\/3 \(33\.3 %, 95 % CI 6\.1 % – 79\.2 %\)\nFalse PASS: +1\nPrompt tokens: +4000 \(1333 per task, 4000 per solved task\)\n/,
    );
    // Progress on stderr, one line per attempt.
    assert.match(
      result.stderr,
      /\[3\/3\] c-failed #1: FAILED, hidden check not run/,
    );

    const md = await Deno.readTextFile(markdown);
    assert.match(md, /^# Eval of `.*suite` with aos\n/);
    assert.match(
      md,
      /\| b-false-pass \| 1 \| SUCCEEDED \| FAIL \(false PASS\) \|/,
    );
    assert.match(md, /\| False PASS \| 1 \|/);

    // --compare: this result against a copy where the false PASS was solved.
    const better = structuredClone(saved);
    better.attempts[1]!.hidden_check = "passed";
    const other = `${h.dir}/other.json`;
    await Deno.writeTextFile(other, JSON.stringify(better));
    const compared = await runAos(["eval", "--compare", json, other], {
      env: h.cliEnv,
    });
    assert.equal(compared.code, 0, describe(compared));
    assert.match(compared.stdout, /^A: .*result\.json \(aos, /);
    assert.match(
      compared.stdout,
      /\nb-false-pass +0\/1 +1\/1 +1500 +1500 /,
    );
    assert.match(compared.stdout, /\na-solved +1\/1 +1\/1 /);
    assert.match(compared.stdout, /\nFalse PASS +1 +1\n/);
  });
});

Deno.test("aos eval refuses a malformed suite or result file with exit 2, naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_eval_bad_" });
  try {
    // Nothing listens here: the suite is refused before any request.
    const env = { AOS_URL: "http://127.0.0.1:9" };
    const missing = await runAos(["eval", `${dir}/nope`], { env });
    assert.equal(missing.code, 2, describe(missing));
    assert.match(
      missing.stderr,
      /^Error: Suite folder ".*\/nope" does not exist/,
    );

    await writeFiles(`${dir}/bad`, {
      ...prefix("t1/", clampTask(1)),
      "t1/task.md": "---\nmax_iterations: 99\n---\n\nFix it.\n",
    });
    const invalid = await runAos(["eval", `${dir}/bad`], { env });
    assert.equal(invalid.code, 2, describe(invalid));
    assert.match(
      invalid.stderr,
      /^Error: Invalid work order ".*\/bad\/t1\/task\.md"\n {2}- max_iterations: Must be an integer from 1 to 20, got number 99\n/,
    );

    await writeFiles(`${dir}/good`, prefix("t1/", clampTask(1)));
    const unknownTask = await runAos(
      ["eval", `${dir}/good`, "--tasks", "t1,nope"],
      { env },
    );
    assert.equal(unknownTask.code, 2, describe(unknownTask));
    assert.match(
      unknownTask.stderr,
      /^Error: --tasks: no task "nope" in suite ".*\/good"\n {2}- Tasks: t1\n/,
    );

    await Deno.writeTextFile(`${dir}/not-result.json`, `{"format": "x"}`);
    const notResult = await runAos(
      ["eval", "--compare", `${dir}/not-result.json`, `${dir}/nope.json`],
      { env },
    );
    assert.equal(notResult.code, 2, describe(notResult));
    assert.match(
      notResult.stderr,
      /^Error: (Cannot read eval result ".*nope\.json"|".*not-result\.json" is not an eval result)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aos eval says to set AOS_ALLOW_LOCAL_REPOS when the server refuses local repositories", async () => {
  await withHarness({ env: { AOS_ALLOW_LOCAL_REPOS: "false" } }, async (h) => {
    await writeFiles(`${h.dir}/suite`, prefix("t1/", clampTask(1)));
    const result = await runAos(["eval", `${h.dir}/suite`], { env: h.cliEnv });
    assert.equal(result.code, 2, describe(result));
    assert.match(
      result.stderr,
      /^Error: The AOS server at http:\/\/127\.0\.0\.1:\d+ refuses local repositories: .*start the service with AOS_ALLOW_LOCAL_REPOS=true/,
    );
    assert.deepEqual(h.model.requests, []);
  });
});

/** A gate the scripted model waits on before answering the SE, opened by the test. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

Deno.test("aos eval --timeout cancels a run that takes too long and records it TIMED_OUT", async () => {
  const held = gate();
  await withHarness({
    script: { se: [seTurn(FIXED)], po: [pass] },
    beforeModelReply: (_h, agent) => agent === "se" ? held.opened : undefined,
  }, async (h) => {
    await writeFiles(`${h.dir}/suite`, {
      ...prefix("slow/", clampTask(1)),
      ...prefix("skipped/", clampTask(1)),
    });
    const json = `${h.dir}/r.json`;
    const result = await runAos(
      [
        "eval",
        `${h.dir}/suite`,
        "--tasks",
        "slow",
        "--timeout",
        "1",
        "--json",
        json,
      ],
      { env: h.cliEnv },
    );
    held.open();
    assert.equal(result.code, 0, describe(result));
    const saved = evalResultSchema.parse(
      JSON.parse(await Deno.readTextFile(json)),
    );
    assert.deepEqual(saved.tasks, ["slow"]);
    assert.equal(saved.attempts.length, 1);
    const [attempt] = saved.attempts;
    assert.equal(attempt?.status, "TIMED_OUT");
    assert.equal(attempt?.hidden_check, "not_run");
    assert.equal(attempt?.error, "Did not finish within 1 s; cancelled");
    assert.equal(saved.totals.solved, 0);
    const run = await h.waitForEnd(attempt!.run_id!);
    assert.equal(run.status, "CANCELLED");
  });
});

Deno.test("aos eval stopped with Ctrl+C cancels the runs it has in flight", async () => {
  const held = gate();
  await withHarness({
    script: { se: [seTurn(FIXED), seTurn(FIXED)], po: [pass, pass] },
    beforeModelReply: (_h, agent) => agent === "se" ? held.opened : undefined,
  }, async (h) => {
    await writeFiles(`${h.dir}/suite`, {
      ...prefix("t1/", clampTask(1)),
      ...prefix("t2/", clampTask(1)),
    });
    const eval_ = spawnAos(
      ["eval", `${h.dir}/suite`, "--concurrency", "2"],
      { env: h.cliEnv },
    );
    try {
      await until(
        "both SE requests",
        () => h.model.requests.filter((r) => r.agent === "se").length === 2,
      );
      eval_.kill("SIGINT");
      const result = await eval_.result;
      assert.equal(result.code, 130, describe(result));
      assert.match(result.stderr, /Stopped; cancelling 2 run\(s\) in flight: /);
      const runs: { runs: RunRecord[] } = await (await fetch(
        `${h.svc.url}/runs`,
      )).json();
      assert.equal(runs.runs.length, 2);
      for (const run of runs.runs) {
        assert.equal((await h.waitForEnd(run.id)).status, "CANCELLED");
      }
    } finally {
      held.open();
      eval_.kill();
    }
  });
});

/** `files` with every path under `folder`. */
function prefix(
  folder: string,
  files: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([path, text]) => [`${folder}${path}`, text]),
  );
}
