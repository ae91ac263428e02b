/** The SE turn against what real (small, local) models do: calls in the text, no calls, bad calls, small windows. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { reply, toolCall } from "../../llm/testing.ts";
import { ModelError } from "../../llm/mod.ts";
import { assertModelError, sent, toolResults, turn } from "./testing.ts";

Deno.test("runEngineerTurn() runs tool calls written in the text and marks them in the transcript", async () => {
  const { result, error, model } = await turn([
    {
      content:
        'I will write it.\n<tool_call>\n{"name": "write_file", "arguments": {"path": "hello.py", "content": "print(\\"hello\\")\\n"}}\n</tool_call>',
    },
    {
      content:
        'Done.\n```json\n{"name": "finish", "parameters": "{\\"summary\\": \\"hello.py\\"}"}\n```',
    },
  ]);
  assertEquals(error, null);
  assert(result);
  assertEquals(result.ended, "finish");
  assertEquals(result.summary, "hello.py");
  assertEquals(result.packet.writes, [{
    path: "hello.py",
    content: 'print("hello")\n',
  }]);
  assertEquals(
    result.transcript.exchanges.map((e) => e.text_tool_calls),
    [1, 1],
  );
  assertMatch(result.transcript.exchanges[0]?.raw_content ?? "", /<tool_call>/);
  assertEquals(
    result.events.filter((e) => e.kind === "TOOL_CALLS_IN_TEXT").map((e) =>
      e.payload.tools
    ),
    [["write_file"], ["finish"]],
  );
  assertEquals(
    result.events.filter((e) => e.kind === "SE_NO_TOOL_CALL").length,
    0,
  );
  // The next request carries the call as a structured call, the text without it.
  const assistant = sent(model, 1).find((m) => m.role === "assistant") as {
    content: string;
    tool_calls: { function: { name: string } }[];
  };
  assertEquals(assistant.content, "I will write it.");
  assertEquals(assistant.tool_calls[0]?.function.name, "write_file");
  assertMatch(toolResults(model, 1)[0] ?? "", /^Wrote hello\.py/);
});

Deno.test("runEngineerTurn() fails at once when the model never calls a tool, naming model and endpoint", async () => {
  const { result, error, model } = await turn([
    { content: "Sure! Here is how you could write hello.py: print('hello')" },
    { content: "I hope this helps." },
    { content: "Let me know if you need more." },
    reply(toolCall("finish", { summary: "never reached" })),
  ]);
  assertEquals(result, null);
  assertModelError(
    error,
    "no_tool_call",
    /^The SE model 'gpt-4\.1-mini' at http:\/\/127\.0\.0\.1:\d+\/v1 answered 3 times without a tool call; does it support tool calling\?/,
  );
  assertEquals(model.requests.length, 3);
  // Each reply without a call is answered with a nudge naming the text form of a call.
  const nudge = sent(model, 1).at(-1);
  assertEquals(nudge?.role, "user");
  assertMatch(
    String(nudge?.content),
    /without calling a tool.*<tool_call>\{"name"/,
  );
  const partial = (error as ModelError).partial;
  assertEquals(partial?.transcript && true, true);
  assertEquals(
    partial?.events?.map((e) => e.kind),
    ["SE_NO_TOOL_CALL", "SE_NO_TOOL_CALL", "SE_NO_TOOL_CALL", "SE_TURN_LIMIT"],
  );
  assert((partial?.usage.total_tokens ?? 0) > 0);
});

Deno.test("runEngineerTurn() names the missing or mistyped field, and counts invalid calls against max_tool_steps", async () => {
  const { error, model } = await turn([
    reply(toolCall("write_file", { path: "hello.py" })),
    reply(toolCall("write_file", { path: 7, content: "x" })),
    reply(toolCall("write_file", "{path: hello.py")),
    reply(toolCall("finish", { summary: "never reached" })),
  ], { maxToolSteps: 3 });
  assertEquals(
    toolResults(model, 1)[0],
    "Error: arguments for write_file are missing 'content'",
  );
  assertEquals(
    toolResults(model, 2)[1],
    "Error: arguments for write_file: 'path' must be a string, got number",
  );
  assertModelError(
    error,
    "no_tool_call",
    /made no valid tool call in 3 replies \(max_tool_steps\); the last one was refused with: Error: arguments for write_file are not valid JSON/,
  );
  assertEquals(model.requests.length, 3);
});

Deno.test("runEngineerTurn() goes on softly when the model stops calling tools after real work", async () => {
  const { result, error } = await turn([
    reply(toolCall("write_file", { path: "hello.py", content: "x\n" })),
    { content: "a" },
    { content: "b" },
    { content: "c" },
  ]);
  assertEquals(error, null);
  assertEquals(result?.ended, "no_tool_calls");
  assertEquals(result?.packet.writes.length, 1);
});

Deno.test("runEngineerTurn() works in an 8192-token window: output cap a quarter of it, every request within budget", async () => {
  const files = {
    "README.md": "# Demo\n" + "Some documentation line.\n".repeat(400),
  };
  const { result, error, model } = await turn(
    [
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("write_file", { path: "hello.py", content: "x\n" })),
      reply(toolCall("finish", { summary: "done" })),
    ],
    { contextTokens: 8_192 },
    files,
    { maxOutputTokens: 16_384, contextTokens: 8_192 },
  );
  assertEquals(error, null);
  assertEquals(result?.ended, "finish");
  assertEquals(model.requests.length, 4);
  const body = model.requests[0]?.body as Record<string, unknown>;
  assertEquals(body.max_tokens, 2_048);
  const budget = Math.floor((8_192 - 2_048) * 0.9);
  for (const exchange of result?.transcript.exchanges ?? []) {
    assert(exchange.request_tokens! <= budget, `${exchange.request_tokens}`);
  }
});

Deno.test("runEngineerTurn() counts the tokens itself when the endpoint reports no usage", async () => {
  const none = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const { result, error } = await turn([
    {
      ...reply(toolCall("write_file", { path: "hello.py", content: "x\n" })),
      usage: none,
    },
    { ...reply(toolCall("finish", { summary: "done" })), usage: none },
  ]);
  assertEquals(error, null);
  const exchanges = result?.transcript.exchanges ?? [];
  assertEquals(exchanges.map((e) => e.usage_estimated), [true, true]);
  for (const e of exchanges) {
    assertEquals(e.usage.prompt_tokens, e.request_tokens);
    assert(e.usage.completion_tokens > 0);
  }
  assert((result?.usage.total_tokens ?? 0) > 1_000, "the turn reads as free");
});

Deno.test("runEngineerTurn() keeps a call once when the server parsed it but also sent its text", async () => {
  const args = { path: "hello.py", content: "x\n" };
  const { result, model } = await turn([
    {
      content: "```json\n" +
        JSON.stringify({ name: "write_file", arguments: args }) + "\n```",
      tool_calls: [{ name: "write_file", arguments: args }],
    },
    reply(toolCall("finish", { summary: "done" })),
  ]);
  assertEquals(result?.packet.writes.length, 1);
  const assistant = sent(model, 1).find((m) => m.role === "assistant") as {
    content: string | null;
    tool_calls: unknown[];
  };
  assertEquals(assistant.tool_calls.length, 1);
  assertEquals(assistant.content, "");
  assertEquals(result?.transcript.exchanges[0]?.text_tool_calls, undefined);
});
