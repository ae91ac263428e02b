import {
  deepStrictEqual as assertEquals,
  rejects as assertRejects,
} from "node:assert/strict";
import {
  type ChatCompletionMessage,
  emptyUsage,
  ModelError,
} from "../llm/mod.ts";
import {
  type AgentTranscript,
  assistantMessage,
  capText,
  commandFailed,
  describeCommands,
  keepingPartial,
  readToolCalls,
  tail,
} from "./conversation.ts";

Deno.test("readToolCalls() tolerates missing ids, missing type and object arguments", () => {
  const message = {
    role: "assistant",
    content: null,
    refusal: null,
    tool_calls: [
      { function: { name: "read_file", arguments: { path: "a.py" } } },
      {
        id: "call_x",
        type: "function",
        function: { name: "finish", arguments: '{"summary":"s"}' },
      },
      "nonsense",
    ],
  } as unknown as ChatCompletionMessage;
  const calls = readToolCalls(message, "call_se_1");
  assertEquals(calls, [
    { id: "call_se_1_0", name: "read_file", arguments: '{"path":"a.py"}' },
    { id: "call_x", name: "finish", arguments: '{"summary":"s"}' },
    { id: "call_se_1_2", name: "(unnamed)", arguments: "" },
  ]);
  const echoed = assistantMessage(message, calls);
  assertEquals(echoed.role, "assistant");
  assertEquals(
    "tool_calls" in echoed
      ? echoed.tool_calls?.map((c) => c.type === "function" && c.function.name)
      : null,
    ["read_file", "finish", "(unnamed)"],
  );
  assertEquals(
    readToolCalls({ role: "assistant", content: "hi", refusal: null }, "p"),
    [],
  );
});

Deno.test("commandFailed() treats non-zero, killed and timed-out commands as failures", () => {
  const base = {
    command: "x",
    output: "",
    timed_out: false,
    duration_ms: 0,
    truncated: false,
  };
  assertEquals(commandFailed({ ...base, exit_code: 0 }), false);
  assertEquals(commandFailed({ ...base, exit_code: 2 }), true);
  assertEquals(commandFailed({ ...base, exit_code: null }), true);
  assertEquals(
    commandFailed({ ...base, exit_code: 0, timed_out: true }),
    true,
  );
});

Deno.test("describeCommands() shows each command, its status and the output head and tail", () => {
  const text = describeCommands([
    {
      command: "make test",
      exit_code: 1,
      output: `${"a".repeat(100)}END\n`,
      timed_out: false,
      duration_ms: 0,
      truncated: false,
    },
    {
      command: "true",
      exit_code: 0,
      output: "",
      timed_out: false,
      duration_ms: 0,
      truncated: false,
    },
  ], 10);
  assertEquals(
    text,
    "$ make test\n→ exit code 1\naaa\n[… 93 characters omitted …]\naaaaEND\n\n$ true\n→ exit code 0\n(no output)",
  );
  assertEquals(tail("short", 10), "short");
  assertEquals(capText("abcdef", 3), "abc\n[… 3 more characters omitted …]");
});

Deno.test("keepingPartial() gives a ModelError what the loop had used when it failed, and leaves other errors alone", async () => {
  const transcript: AgentTranscript = { messages: [], exchanges: [] };
  let usage = emptyUsage();
  const sofar = () => ({ usage, transcript });
  assertEquals(await keepingPartial(() => Promise.resolve(7), sofar), 7);

  const quota = new ModelError("quota", "You exceeded your current quota");
  await assertRejects(
    keepingPartial(() => {
      // Read at the failure, not when the loop started.
      usage = { ...usage, prompt_tokens: 10, completion_tokens: 2 };
      transcript.messages.push({ role: "user", content: "go" });
      return Promise.reject(quota);
    }, sofar),
    quota,
  );
  assertEquals(quota.partial, {
    usage: { ...emptyUsage(), prompt_tokens: 10, completion_tokens: 2 },
    transcript: { messages: [{ role: "user", content: "go" }], exchanges: [] },
  });

  // A partial set by a nested loop is the more precise one: kept.
  const deeper = new ModelError("bad_response", "no verdict");
  deeper.partial = { usage: emptyUsage(), transcript: "inner" };
  await assertRejects(keepingPartial(() => Promise.reject(deeper), sofar));
  assertEquals(deeper.partial.transcript, "inner");

  const plain = new TypeError("not a model failure");
  await assertRejects(
    keepingPartial(() => Promise.reject(plain), sofar),
    plain,
  );
  assertEquals("partial" in plain, false);
});
