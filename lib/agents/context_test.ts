import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  throws,
} from "node:assert/strict";
import type { ChatCompletionMessageParam } from "../llm/mod.ts";
import { countMessagesTokens, ModelError } from "../llm/mod.ts";
import { buildContext } from "./context.ts";

type Message = ChatCompletionMessageParam;

/** A conversation of `steps` read_file calls, each returning `lines` lines. */
function conversation(steps: number, lines: number): Message[] {
  const messages: Message[] = [
    { role: "system", content: "You are an engineer." },
    { role: "user", content: "Do the task." },
  ];
  for (let i = 1; i <= steps; i++) {
    messages.push({
      role: "assistant",
      content: null,
      tool_calls: [{
        id: `c${i}`,
        type: "function",
        function: {
          name: "read_file",
          arguments: JSON.stringify({ path: `f${i}.ts` }),
        },
      }],
    });
    messages.push({
      role: "tool",
      tool_call_id: `c${i}`,
      content: Array.from(
        { length: lines },
        (_, k) => `f${i} line ${k}: some code here`,
      )
        .join("\n"),
    });
  }
  return messages;
}

Deno.test("buildContext() keeps a small conversation as it is", () => {
  const messages = conversation(2, 3);
  const view = buildContext(messages, {
    budgetTokens: 10_000,
    toolsTokens: 100,
  });
  assertEquals(view.messages, messages);
  assertEquals(view.tokens, countMessagesTokens(messages) + 100);
  assertEquals([view.stubbed, view.condensed, view.cut], [0, 0, false]);
});

Deno.test("buildContext() stubs tool outputs older than the recent ones", () => {
  const view = buildContext(conversation(6, 40), {
    budgetTokens: 100_000,
    toolsTokens: 0,
    recentToolResults: 2,
  });
  assertEquals(view.stubbed, 4);
  const tools = view.messages.filter((m) => m.role === "tool").map((m) =>
    String(m.content)
  );
  assertMatch(tools[0]!, /^\[read_file\(path=f1\.ts\): output of 40 lines/);
  assert(tools[5]!.startsWith("f6 line 0"));
  assert(tools[4]!.startsWith("f5 line 0"));
  // Every tool call still has its result (the API requires the pairing).
  assertEquals(tools.length, 6);
});

Deno.test("buildContext() condenses old steps near the budget and stays within it", () => {
  const messages = conversation(30, 30);
  const full = countMessagesTokens(messages);
  const budget = Math.floor(full / 4);
  const view = buildContext(messages, {
    budgetTokens: budget,
    toolsTokens: 50,
  });
  assert(view.tokens <= budget, `${view.tokens} > ${budget}`);
  assert(view.condensed > 0);
  const summary = view.messages.find((m) =>
    m.role === "user" && String(m.content).includes("condensed to save context")
  );
  assert(summary, "no condensed summary");
  assertMatch(
    String(summary.content),
    /Step 1: read_file\(path=f1\.ts\) → f1 line 0/,
  );
  // The last step is verbatim.
  const last = view.messages.at(-1);
  assertEquals(last, messages.at(-1));
});

Deno.test("buildContext() cuts the newest output when nothing else is left to shrink", () => {
  const messages = conversation(1, 3000);
  const view = buildContext(messages, { budgetTokens: 2_000, toolsTokens: 0 });
  assert(view.tokens <= 2_000, `${view.tokens}`);
  assert(view.cut);
  assertMatch(
    String(view.messages.at(-1)?.content),
    /characters cut to fit the context budget/,
  );
});

Deno.test("buildContext() throws context_length when even the smallest form cannot fit", () => {
  throws(
    () =>
      buildContext(conversation(1, 10), {
        budgetTokens: 2_000,
        toolsTokens: 5_000,
      }),
    (error: unknown) =>
      error instanceof ModelError && error.kind === "context_length",
  );
});
