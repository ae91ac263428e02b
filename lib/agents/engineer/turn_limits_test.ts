import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { errorReply, reply, toolCall } from "../../llm/testing.ts";
import { MemoryWorkspace, sent, toolResults, turn } from "./testing.ts";
import { MemoryJournal } from "./journal.ts";

const look = reply(toolCall("list_files", {}));

Deno.test("runEngineerTurn() ends at max_tool_steps with the packet so far and warns before", async () => {
  const { result, error, model } = await turn([
    reply(toolCall("write_file", { path: "a.py", content: "a = 1\n" })),
    look,
    look,
    look,
    look,
  ], { maxToolSteps: 4 });
  assertEquals(error, null);
  assert(result);
  assertEquals(result.ended, "max_tool_steps");
  assertEquals(model.requests.length, 4);
  assertEquals(result.packet.writes, [{ path: "a.py", content: "a = 1\n" }]);
  assert(result.usage.total_tokens > 0);
  assertEquals(result.transcript.exchanges.length, 4);
  assertMatch(result.summary, /step limit of 4 tool-call steps/);
  assertEquals(result.events.at(-1)?.kind, "SE_TURN_LIMIT");
  // After step 1, 3 steps are left: the second request ends with the warning, once.
  const warning = sent(model, 1).at(-1);
  assertEquals(warning?.role, "user");
  assertMatch(String(warning?.content), /3 tool-call steps left of 4/);
  const warnings = JSON.stringify(sent(model, 3)).split("steps left of 4");
  assertEquals(warnings.length, 2);
});

Deno.test("runEngineerTurn() ends when the next request would pass the token budget", async () => {
  const { result, model } = await turn([look, look], { tokenBudget: 10 });
  assert(result);
  assertEquals(result.ended, "token_budget");
  assertEquals(model.requests.length, 0);
  assertMatch(result.summary, /token budget/);
});

Deno.test("runEngineerTurn() tells the model a reply cut at the output cap and does not run its broken call", async () => {
  const { result, model } = await turn(
    [
      {
        tool_calls: [{
          name: "write_file",
          arguments: '{"path": "big.py", "content": "x = [1, 2, 3,',
        }],
        finish_reason: "length",
      },
      { content: "Here is the file: x = [1, 2", finish_reason: "length" },
      reply(toolCall("finish", { summary: "gave up" })),
    ],
    {},
    undefined,
    { maxOutputTokens: 2000 },
  );
  assert(result);
  assertEquals(result.packet.writes, []);
  assertMatch(
    toolResults(model, 1)[0] ?? "",
    /^Error: your reply was cut off at the output-token limit \(2000 tokens\).*smaller changes/,
  );
  const nudge = sent(model, 2).at(-1);
  assertMatch(
    String(nudge?.content),
    /cut off at the output-token limit \(2000 tokens\)/,
  );
  assertEquals(
    result.events.filter((e) => e.kind === "SE_TRUNCATED").length,
    2,
  );
  const body = model.requests[0]?.body as Record<string, unknown>;
  assertEquals(body.max_tokens, 2000);
});

Deno.test("runEngineerTurn() shrinks the context after context_length_exceeded and goes on", async () => {
  const big = Array.from(
    { length: 400 },
    (_, i) => `line ${i}: ${"word ".repeat(12)}`,
  )
    .join("\n");
  const { result, error, model } = await turn(
    [
      reply(toolCall("read_file", { path: "big.txt" })),
      reply(toolCall("read_file", { path: "big2.txt" })),
      errorReply(400, "context_length_exceeded", {
        message: "This model's maximum context length is 8000 tokens.",
      }),
      reply(toolCall("finish", { summary: "done" })),
    ],
    {},
    { "big.txt": big, "big2.txt": big },
  );
  assertEquals(error, null);
  assert(result);
  assertEquals(result.ended, "finish");
  assertEquals(model.requests.length, 4);
  const size = (n: number) => JSON.stringify(sent(model, n)).length;
  assert(size(3) < size(2) * 0.75, `retry is ${size(3)} vs ${size(2)} chars`);
  assertEquals(
    result.events.filter((e) => e.kind === "SE_CONTEXT_SHRUNK").length,
    1,
  );
  // The latest result is still there in full; the conversation record keeps everything.
  assert(JSON.stringify(sent(model, 3)).includes("line 399"));
  assertEquals(
    result.transcript.messages.filter((m) => m.role === "tool").length,
    3,
  );
});

Deno.test("runEngineerTurn() sends old tool outputs as one-line stubs", async () => {
  const files: Record<string, string> = {};
  const script = [];
  for (let i = 0; i < 6; i++) {
    files[`f${i}.txt`] = `content of file ${i}\n${"x".repeat(2000)}\n`;
    script.push(reply(toolCall("read_file", { path: `f${i}.txt` })));
  }
  script.push(reply(toolCall("finish", { summary: "read all" })));
  const { result, model } = await turn(script, {}, files);
  assert(result);
  const results = toolResults(model, 6);
  assertEquals(results.length, 6);
  // The 2 oldest of 6 are stubs; the 4 most recent are whole.
  for (const stub of results.slice(0, 2)) {
    assertMatch(
      stub,
      /^\[read_file\(path=f\d\.txt\): output of 3 lines .* omitted to save context/,
    );
  }
  for (const [i, whole] of results.slice(2).entries()) {
    assert(whole.startsWith(`content of file ${i + 2}`), whole.slice(0, 50));
  }
  // The transcript keeps every output whole.
  const kept = result.transcript.messages.filter((m) => m.role === "tool")
    .map((m) => String(m.content));
  assert(kept.slice(0, 6).every((t) => t.startsWith("content of file")));
});

Deno.test("runEngineerTurn() never sends a request over its context budget, condensing old steps", async () => {
  const files: Record<string, string> = {};
  const script = [];
  for (let i = 0; i < 12; i++) {
    files[`f${i}.txt`] = Array.from(
      { length: 60 },
      (_, k) => `file ${i} line ${k} ${"lorem ipsum ".repeat(4)}`,
    ).join("\n");
    script.push(reply(toolCall("read_file", { path: `f${i}.txt` })));
  }
  script.push(reply(toolCall("finish", { summary: "read all" })));
  // 7000-token window (the compact profile's short prompt), 1000 for output: about 5400 per request.
  const { result, model } = await turn(
    script,
    { contextTokens: 7000 },
    files,
    { maxOutputTokens: 1000 },
  );
  assert(result);
  assertEquals(result.ended, "finish");
  const budget = Math.floor((7000 - 1000) * 0.9);
  for (const exchange of result.transcript.exchanges) {
    assert(
      exchange.request_tokens! <= budget,
      `${exchange.request_tokens} > ${budget}`,
    );
  }
  assert(
    result.transcript.exchanges.some((e) => (e.condensed ?? 0) > 0),
    "no step was condensed",
  );
  const last = JSON.stringify(sent(model, 12));
  assertMatch(last, /condensed to save context/);
  assertMatch(last, /read_file\(path=f0\.txt\)/);
  // The newest output is whole.
  assert(last.includes("file 11 line 59"));
});

Deno.test("runEngineerTurn() ends softly at the cost budget (max_cost_usd) without pauseAtBudget", async () => {
  const { result, model } = await turn([
    { ...reply(toolCall("list_files", {})), usage: { total_tokens: 5_000 } },
    look,
  ], {
    costBudget: { leftUsd: 0.5, costOf: (u) => u.total_tokens * 1e-4 },
  });
  assert(result);
  assertEquals(result.ended, "cost_budget");
  assertEquals(result.paused, undefined);
  assertEquals(model.requests.length, 1);
  assertMatch(result.summary, /cost budget \(max_cost_usd/);
  assertEquals(result.events.at(-1)?.kind, "SE_TURN_LIMIT");
});

Deno.test("runEngineerTurn() with pauseAtBudget pauses at a budget, and the turn resumed from its journal repeats no model call", async () => {
  const journal = new MemoryJournal();
  const workspace = new MemoryWorkspace({ "README.md": "# Demo\n" });
  const costOf = (u: { total_tokens: number }) => u.total_tokens * 1e-4;
  const first = await turn([
    {
      ...reply(toolCall("write_file", { path: "a.py", content: "a = 1\n" })),
      usage: { total_tokens: 5_000 },
    },
    reply(toolCall("finish", { summary: "never asked" })),
  ], {
    journal,
    workspace,
    pauseAtBudget: true,
    costBudget: { leftUsd: 0.5, costOf },
  });
  assert(first.result, String(first.error));
  assertEquals(first.result.paused, "cost_budget");
  assertEquals(first.model.requests.length, 1);
  assertEquals(first.result.packet.writes, [{
    path: "a.py",
    content: "a = 1\n",
  }]);
  // Paused, not ended: no limit event, nothing said to be applied.
  assertEquals(
    first.result.events.some((e) => e.kind === "SE_TURN_LIMIT"),
    false,
  );
  assertMatch(first.result.summary, /^Turn paused: .*max_cost_usd/);

  // The budget raised: the same turn goes on with the next call, not the first again.
  const second = await turn([reply(toolCall("finish", { summary: "done" }))], {
    journal,
    workspace,
    pauseAtBudget: true,
    costBudget: { leftUsd: 5, costOf },
  });
  assert(second.result, String(second.error));
  assertEquals(second.result.ended, "finish");
  assertEquals(second.result.paused, undefined);
  assertEquals(second.model.requests.length, 1);
  assertEquals(second.result.steps, 2);
  assertEquals(second.result.summary, "done");
  assertEquals(second.result.packet.writes, [{
    path: "a.py",
    content: "a = 1\n",
  }]);
  // The resumed request carries the first reply and its tool result.
  assertMatch(JSON.stringify(sent(second.model, 0)), /write_file/);
});

Deno.test("runEngineerTurn() with pauseAtBudget pauses before a model call once deadlineAt has passed", async () => {
  const { result, model } = await turn([look], {
    pauseAtBudget: true,
    deadlineAt: Date.now() - 1,
  });
  assert(result);
  assertEquals(result.paused, "wall_time");
  assertEquals(model.requests.length, 0);
  assertMatch(result.summary, /max_wall_time_s/);
});
