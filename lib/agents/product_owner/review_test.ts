import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { ModelError } from "../../llm/mod.ts";
import { poVerdict, type ScriptedReply } from "../../llm/testing.ts";
import { againstScript, type ScriptedRun } from "../testing.ts";
import {
  PO_TOOLS,
  type PoToolReport,
  type ProductOwnerOptions,
  runProductOwner,
} from "./review.ts";

const TASK = {
  title: "Add multiply",
  body: "Add multiply(a, b) to calculator.py.",
  acceptanceCommands: ["python3 -m unittest"],
  allowedPaths: [],
  forbiddenPaths: [],
};

const passing: PoToolReport = {
  commands: [{
    command: "python3 -m unittest",
    exit_code: 0,
    output: "OK\n",
    timed_out: false,
    duration_ms: 0,
    truncated: false,
  }],
  diff:
    "--- a/calculator.py\n+++ b/calculator.py\n+def multiply(a, b):\n+    return a * b\n",
  rejected: [],
};

function review(
  po: ScriptedReply[],
  toolReport: PoToolReport,
  overrides: Partial<ProductOwnerOptions> = {},
): Promise<ScriptedRun<Awaited<ReturnType<typeof runProductOwner>>>> {
  return againstScript({ se: [], po }, (client) =>
    runProductOwner({
      client,
      task: TASK,
      toolReport,
      seSummary: "Added multiply()",
      iteration: 1,
      tokenBudget: 1_000_000,
      ...overrides,
    }));
}

Deno.test("PO_TOOLS is exactly submit_verdict {decision, feedback}", () => {
  const tool = PO_TOOLS[0];
  assert(PO_TOOLS.length === 1 && tool?.type === "function");
  assertEquals(tool.function.name, "submit_verdict");
  const params = tool.function.parameters as {
    properties: Record<string, { enum?: string[] }>;
    required: string[];
  };
  assertEquals(Object.keys(params.properties), ["decision", "feedback"]);
  assertEquals(params.properties.decision?.enum, ["PASS", "FAIL"]);
  assertEquals(params.required, ["decision", "feedback"]);
});

Deno.test("runProductOwner() fails a failing command without asking the model", async () => {
  const output = `${
    "noise\n".repeat(2000)
  }AssertionError: multiply(6, 7) == 13\n`;
  const { result, model } = await review([
    poVerdict("PASS", "should not be asked"),
  ], {
    ...passing,
    commands: [
      {
        command: "python3 -c 'import calculator'",
        exit_code: 0,
        output: "",
        timed_out: false,
        duration_ms: 0,
        truncated: false,
      },
      {
        command: "python3 -m unittest",
        exit_code: 1,
        output,
        timed_out: false,
        duration_ms: 0,
        truncated: false,
      },
      {
        command: "sleep 999",
        exit_code: null,
        output: "",
        timed_out: true,
        duration_ms: 0,
        truncated: false,
      },
    ],
  });
  assert(result);
  assertEquals(result.decision, "FAIL");
  assertEquals(result.byModel, false);
  assertEquals(result.usage.total_tokens, 0);
  assertEquals(model.requests.length, 0);
  assertMatch(result.feedback, /^2 acceptance commands failed/);
  assertMatch(result.feedback, /python3 -m unittest\n→ exit code 1\n/);
  assertMatch(result.feedback, /AssertionError: multiply\(6, 7\) == 13/);
  assertMatch(result.feedback, /sleep 999\n→ timed out/);
  assert(!result.feedback.includes("import calculator"));
  assert(result.feedback.length < 8_000, "output tail is not capped");
});

Deno.test("runProductOwner() returns the model's PASS when all commands pass", async () => {
  const { result, model } = await review([
    poVerdict("PASS", "multiply() is correct"),
  ], passing);
  assert(result);
  assertEquals([result.decision, result.feedback, result.byModel], [
    "PASS",
    "multiply() is correct",
    true,
  ]);
  assert(result.usage.total_tokens > 0);
  assertEquals(result.transcript.exchanges.length, 1);
  const body = model.requests[0]?.body as {
    tool_choice: string;
    messages: { content: string }[];
  };
  assertEquals(body.tool_choice, "required");
  const prompt = body.messages[1]?.content ?? "";
  for (
    const part of [
      "Add multiply(a, b)",
      "+def multiply(a, b):",
      "Added multiply()",
      "exit code 0",
    ]
  ) {
    assert(prompt.includes(part), `PO prompt lacks ${part}`);
  }
});

Deno.test("runProductOwner() asks again after an invalid verdict", async () => {
  const { result, model } = await review([
    {
      tool_calls: [{
        name: "submit_verdict",
        arguments: { decision: "MAYBE", feedback: "hmm" },
      }],
    },
    poVerdict("FAIL", "No test for multiply"),
  ], passing);
  assert(result);
  assertEquals([result.decision, result.feedback, result.byModel], [
    "FAIL",
    "No test for multiply",
    true,
  ]);
  assertEquals(model.requests.length, 2);
  const second = JSON.stringify(model.requests[1]?.body);
  assert(
    second.includes(
      `Error: decision must be \\"PASS\\" or \\"FAIL\\", got \\"MAYBE\\"`,
    ),
    second,
  );
});

Deno.test("runProductOwner() gives up after 2 replies without a valid verdict, naming model and endpoint", async () => {
  const bad: ScriptedReply = {
    tool_calls: [{ name: "submit_verdict", arguments: "{decision: PASS" }],
  };
  const { error, model } = await review([
    bad,
    bad,
    poVerdict("PASS", "too late"),
  ], passing);
  assert(error instanceof ModelError);
  assertEquals(error.kind, "no_tool_call");
  assertMatch(
    error.message,
    /^The PO model 'gpt-4\.1-mini' at http:\/\/127\.0\.0\.1:\d+\/v1 gave no valid verdict in 2 replies: arguments for submit_verdict/,
  );
  assertEquals(model.requests.length, 2);
  assertEquals(error.partial?.usage.total_tokens !== 0, true);
});

Deno.test("runProductOwner() reads an unambiguous verdict from prose, and a call written in the text", async () => {
  const prose = await review([{
    content: "Decision: PASS\nmultiply() is right.",
  }], passing);
  assertEquals(
    [prose.result?.decision, prose.result?.feedback],
    ["PASS", "Decision: PASS\nmultiply() is right."],
  );
  assertEquals(prose.model.requests.length, 1);
  assertEquals(prose.result?.events.map((e) => e.kind), [
    "PO_VERDICT_FROM_TEXT",
  ]);
  const text = await review([{
    content:
      '<tool_call>\n{"name": "submit_verdict", "arguments": {"decision": "FAIL", "feedback": "no tests"}}\n</tool_call>',
  }], passing);
  assertEquals(
    [text.result?.decision, text.result?.feedback],
    ["FAIL", "no tests"],
  );
  assertEquals(text.result?.events.map((e) => e.kind), ["TOOL_CALLS_IN_TEXT"]);
  assertEquals(text.result?.transcript.exchanges[0]?.text_tool_calls, 1);
});

Deno.test("runProductOwner() asks once more after an ambiguous reply, then fails saying so", async () => {
  const { result, model } = await review([
    { content: "Looks fine to me." },
    poVerdict("PASS", "ok"),
  ], passing);
  assertEquals(result?.decision, "PASS");
  assertEquals(model.requests.length, 2);
  const { error } = await review([
    { content: "It is not a PASS yet, or maybe it is a FAIL." },
    { content: "Hard to say." },
    poVerdict("PASS", "too late"),
  ], passing);
  assert(error instanceof ModelError);
  assertMatch(
    error.message,
    /no clear PASS or FAIL.*does it support tool calling\?/,
  );
});

Deno.test("runProductOwner() sees a --stat summary and every file of a huge diff", async () => {
  const file = (path: string, lines: number) =>
    `diff --git a/${path} b/${path}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines} @@\n` +
    Array.from({ length: lines }, (_, i) => `+${path} line ${i}`).join("\n") +
    "\n";
  const diff = file("generated/big.json", 20_000) + file("src/app.py", 3) +
    file("tests/test_app.py", 5);
  const { result, model } = await review([poVerdict("PASS", "ok")], {
    ...passing,
    diff,
  });
  assert(result);
  const prompt = String(
    (model.requests[0]?.body as { messages: { content: string }[] })
      .messages[1]?.content,
  );
  assert(prompt.length < 80_000, `prompt is ${prompt.length} characters`);
  assertMatch(
    prompt,
    /3 files changed, 20008 insertions\(\+\), 0 deletions\(-\)/,
  );
  assertMatch(prompt, / generated\/big\.json +\| 20000 \++/);
  // The small files come after the big one and are shown whole.
  assertMatch(prompt, /\+src\/app\.py line 2\n/);
  assertMatch(prompt, /\+tests\/test_app\.py line 4\n/);
  assertMatch(prompt, /lines \(\d+ characters\) of this file's diff omitted/);
  assertMatch(prompt, /\+generated\/big\.json line 19999/);
});

Deno.test("runProductOwner() shows refused changes and judges with no commands", async () => {
  const { result, model } = await review([
    poVerdict("FAIL", "Wrote outside allowed paths"),
  ], {
    commands: [],
    diff: passing.diff,
    rejected: [{ path: "evil.sh", reason: "not in allowed_paths" }],
  });
  assert(result);
  assertEquals(result.decision, "FAIL");
  const prompt = JSON.stringify(model.requests[0]?.body);
  assertMatch(prompt, /evil\.sh: not in allowed_paths/);
  assertMatch(prompt, /\(none given: judge from the diff alone\)/);
});

Deno.test("runProductOwner() fails an unchanged tree without asking the model", async () => {
  const { result, model } = await review([poVerdict("PASS", "ok")], {
    ...passing,
    diff: "  \n",
    rejected: [{ path: "evil.sh", reason: "not in allowed_paths" }],
  });
  assert(result);
  assertEquals([result.decision, result.byModel], ["FAIL", false]);
  assertMatch(
    result.feedback,
    /^Nothing changed: the diff against the base is empty/,
  );
  assertMatch(result.feedback, /evil\.sh: not in allowed_paths/);
  assertEquals(model.requests.length, 0);
});

Deno.test("runProductOwner() cuts the diff to a small window", async () => {
  const big = "--- a/x\n+++ b/x\n" + "+line of the diff\n".repeat(5_000);
  const { model } = await review([poVerdict("PASS", "ok")], {
    ...passing,
    diff: big,
  }, { contextTokens: 8_192 });
  const prompt = String(
    (model.requests[0]?.body as { messages: { content: string }[] })
      .messages[1]?.content,
  );
  assert(prompt.length < 8_192 * 3, `prompt is ${prompt.length} characters`);
});

Deno.test("runProductOwner() refuses to call the model with no token budget left", async () => {
  const { error, model } = await review([poVerdict("PASS", "ok")], passing, {
    tokenBudget: 0,
  });
  assert(error instanceof ModelError);
  assertEquals(error.kind, "budget");
  assertEquals(model.requests.length, 0);
});

Deno.test("runProductOwner() counts the tokens itself when the endpoint reports no usage", async () => {
  const { result } = await review([{
    ...poVerdict("PASS", "ok"),
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  }], passing);
  const exchange = result?.transcript.exchanges[0];
  assertEquals(exchange?.usage_estimated, true);
  assert((exchange?.usage.prompt_tokens ?? 0) > 100);
  assertEquals(result?.usage.total_tokens, exchange?.usage.total_tokens);
});

/** Attempts 1 and 3, both passing, for a side-by-side review. */
const ATTEMPTS = [1, 3].map((attempt) => ({
  attempt,
  commands: passing.commands,
  diff: passing.diff.replace("a * b", `a * b  # attempt ${attempt}`),
  rejected: [],
  seSummary: `summary of attempt ${attempt}`,
}));

const verdictWith = (args: Record<string, unknown>): ScriptedReply => ({
  tool_calls: [{ name: "submit_verdict", arguments: args }],
});

Deno.test("runProductOwner() with several attempts shows them side by side and returns the pick", async () => {
  const { result, model } = await review(
    [
      verdictWith({ decision: "PASS", feedback: "3 is cleaner", pick: 3 }),
    ],
    passing,
    { attempts: ATTEMPTS },
  );
  assertEquals([result?.decision, result?.pick], ["PASS", 3]);
  const body = model.requests[0]!.body as {
    tools: {
      function: { parameters: { properties: Record<string, unknown> } };
    }[];
    messages: { content: string }[];
  };
  assertEquals(
    (body.tools[0]!.function.parameters.properties.pick as { enum: number[] })
      .enum,
    [1, 3],
  );
  const prompt = body.messages[1]!.content;
  assertMatch(prompt, /# Attempt 1[\s\S]*attempt 1[\s\S]*# Attempt 3/);
  assertMatch(prompt, /summary of attempt 3/);
});

Deno.test("runProductOwner() with several attempts asks again for a PASS without a valid pick; a FAIL needs none", async () => {
  const { error, model } = await review(
    [
      verdictWith({ decision: "PASS", feedback: "good" }),
      verdictWith({ decision: "PASS", feedback: "good", pick: 2 }),
    ],
    passing,
    { attempts: ATTEMPTS },
  );
  assert(error instanceof ModelError, String(error));
  assertMatch(error.message, /pick must be one of 1, 3, got 2/);
  assertEquals(model.requests.length, 2);
  assertMatch(
    JSON.stringify(model.requests[1]!.body),
    /pick must name the attempt to keep on PASS: one of 1, 3/,
  );
  const failed = await review(
    [
      verdictWith({ decision: "FAIL", feedback: "neither handles floats" }),
    ],
    passing,
    { attempts: ATTEMPTS },
  );
  assertEquals([failed.result?.decision, failed.result?.pick], [
    "FAIL",
    undefined,
  ]);
  // A prose PASS counts when it names one attempt.
  const prose = await review(
    [
      { content: "Decision: PASS, attempt 1 is the one to keep." },
    ],
    passing,
    { attempts: ATTEMPTS },
  );
  assertEquals([prose.result?.decision, prose.result?.pick], ["PASS", 1]);
});
