import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { reply, seWrite, toolCall } from "../../llm/testing.ts";
import { assertModelError, sent, toolResults, turn } from "./testing.ts";

Deno.test("runEngineerTurn() writes a file and finishes with a packet and usage", async () => {
  const { result, error, model } = await turn(
    seWrite("hello.py", "print('hello')\n", "Added hello.py"),
  );
  assertEquals(error, null);
  assert(result);
  assertEquals(result.packet, {
    writes: [{ path: "hello.py", content: "print('hello')\n" }],
    deletes: [],
  });
  assertEquals(result.summary, "Added hello.py");
  assertEquals(result.events, []);
  assertEquals(model.requests.length, 2);
  assertEquals(result.transcript.exchanges.length, 2);
  assert(result.usage.total_tokens > 0);
  const first = JSON.stringify(sent(model, 0));
  for (
    const part of [
      "Create hello.py",
      "python3 hello.py",
      "*.py",
      "secrets/**",
      "README.md",
    ]
  ) {
    assert(first.includes(part), `first request lacks ${part}`);
  }
  assertMatch(toolResults(model, 1)[0] ?? "", /Wrote hello\.py/);
});

Deno.test("runEngineerTurn() reports malformed JSON arguments to the model and recovers", async () => {
  const { result, model } = await turn([
    {
      tool_calls: [{
        name: "write_file",
        arguments: '{"path": "hello.py", "content": ',
      }],
    },
    ...seWrite("hello.py", "print(1)\n", "done"),
  ]);
  assert(result);
  assertEquals(result.packet.writes.map((w) => w.path), ["hello.py"]);
  assertMatch(
    toolResults(model, 1)[0] ?? "",
    /^Error: arguments for write_file are not valid JSON: /,
  );
  assertEquals(result.events.map((e) => [e.kind, e.level, e.payload.tool]), [[
    "SE_TOOL_ERROR",
    "WARN",
    "write_file",
  ]]);
});

Deno.test("runEngineerTurn() rejects missing and wrong-typed arguments without applying them", async () => {
  const { result, model } = await turn([
    reply(
      toolCall("write_file", { path: "a.py" }),
      toolCall("write_file", { path: "b.py", content: 42 }),
    ),
    reply(toolCall("finish", { summary: 7 })),
    reply(toolCall("finish", { summary: "nothing written" })),
  ]);
  assert(result);
  assertEquals(result.packet.writes, []);
  assertEquals(result.summary, "nothing written");
  assertEquals(toolResults(model, 1), [
    "Error: arguments for write_file are missing 'content'",
    "Error: arguments for write_file: 'content' must be a string, got number",
  ]);
  assertMatch(toolResults(model, 2)[2] ?? "", /'summary' must be a string/);
});

Deno.test("runEngineerTurn() answers an unknown tool with an error result", async () => {
  const { result, model } = await turn([
    reply(toolCall("run_shell", { command: "rm -rf /" })),
    reply(toolCall("finish", { summary: "ok" })),
  ]);
  assert(result);
  assertMatch(
    toolResults(model, 1)[0] ?? "",
    /^Error: unknown tool 'run_shell'; available tools: list_files, /,
  );
  assertEquals(result.events[0]?.payload.reason, "unknown_tool");
});

Deno.test("runEngineerTurn() returns a workspace ToolError to the model as a tool result", async () => {
  const { result, model } = await turn([
    reply(
      toolCall("read_file", { path: "missing.py" }),
      toolCall("write_file", { path: "../x.py", content: "" }),
    ),
    reply(toolCall("finish", { summary: "gave up" })),
  ]);
  assert(result);
  assertEquals(toolResults(model, 1), [
    "Error: File 'missing.py' does not exist",
    "Error: Path '../x.py' is outside the repository or forbidden",
  ]);
  assertEquals(result.events.map((e) => e.kind), [
    "SE_TOOL_ERROR",
    "SE_TOOL_ERROR",
  ]);
  assertEquals(result.packet.writes, []);
});

Deno.test("runEngineerTurn() nudges after a reply without tool calls and carries on", async () => {
  const { result, model } = await turn([{
    content: "I will now write the file.",
  }, ...seWrite("h.py", "x\n", "ok")]);
  assert(result);
  const last = sent(model, 1).at(-1);
  assertEquals(last?.role, "user");
  assertMatch(String(last?.content), /call finish/);
  assertEquals(result.events.map((e) => e.kind), ["SE_NO_TOOL_CALL"]);
});

Deno.test("runEngineerTurn() ends softly after 3 replies without tool calls", async () => {
  const { result, model } = await turn([
    reply(toolCall("write_file", { path: "h.py", content: "x\n" })),
    { content: "a" },
    { content: "b" },
    { content: "c" },
    ...seWrite("h.py", "", "x"),
  ]);
  assert(result);
  assertEquals(result.ended, "no_tool_calls");
  assertEquals(model.requests.length, 4);
  assertEquals(result.packet.writes.map((w) => w.path), ["h.py"]);
  assertMatch(
    result.summary,
    /replied 3 times in a row without calling a tool/,
  );
  assertEquals(result.events.at(-1)?.kind, "SE_TURN_LIMIT");
});

Deno.test("runEngineerTurn() passes through a model failure", async () => {
  const { error } = await turn([{ garbage: "not json" }]);
  assertModelError(error, "bad_response", /^Model reply is not valid/);
});

Deno.test("runEngineerTurn() tells iteration 2 its summary, diff, failing command once and PO feedback", async () => {
  const failing = {
    command: "python3 -m pytest",
    exit_code: 1,
    duration_ms: 10,
    output: `E   AssertionError: 5 != 6\n${
      "x".repeat(9000)
    }\n1 failed in 0.1s\n`,
    truncated: false,
    timed_out: false,
  };
  const { result, model } = await turn(seWrite("h.py", "x\n", "fixed"), {
    iteration: 2,
    previous: {
      summary: "Wrote sum() in calc.py",
      diff:
        "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-x\n+def sum(a, b): return a - b\n",
      commands: [failing, { ...failing, command: "true", exit_code: 0 }],
      rejected: [{ path: "evil.sh", reason: "not in allowed_paths" }],
      poFeedback:
        `1 acceptance command failed:\n\n$ python3 -m pytest\n${failing.output}`,
      poByModel: false,
    },
  });
  assert(result);
  const first = String(sent(model, 0)[1]?.content);
  for (
    const part of [
      "Wrote sum() in calc.py",
      "calc.py | ",
      "+def sum(a, b): return a - b",
      "python3 -m pytest",
      "exit code 1",
      "AssertionError: 5 != 6", // the head of the output
      "1 failed in 0.1s", // and its tail
      "characters omitted",
      "evil.sh",
      "FAIL: the acceptance commands above failed.",
    ]
  ) {
    assert(first.includes(part), `iteration 2 prompt lacks ${part}`);
  }
  // The failing output is shown once, not again through the PO's feedback.
  assertEquals(first.split("AssertionError: 5 != 6").length, 2);
  assert(!first.includes("$ true"), "a passing command is listed as failing");
});

Deno.test("runEngineerTurn() includes context files and redacts what it sends", async () => {
  const { result, model } = await turn(
    [
      reply(toolCall("read_file", { path: "config.py" })),
      reply(toolCall("finish", { summary: "saw SECRET123" })),
    ],
    {
      contextFiles: [{ path: "notes.md", content: "Context: use tabs" }],
      redact: (s) => s.replaceAll("SECRET123", "[REDACTED]"),
    },
    { "config.py": "TOKEN = 'SECRET123'\n" },
  );
  assert(result);
  assertEquals(result.summary, "saw [REDACTED]");
  const everything = JSON.stringify(model.requests);
  assert(everything.includes("Context: use tabs"));
  assert(!everything.includes("SECRET123"));
  assertMatch(toolResults(model, 1)[0] ?? "", /\[REDACTED\]/);
});

Deno.test("runEngineerTurn() applies edits and deletes and skips calls after finish", async () => {
  const { result, model } = await turn(
    [
      reply(
        toolCall("edit_file", { path: "a.py", old_text: "1", new_text: "2" }),
        toolCall("delete_file", { path: "b.py" }),
        toolCall("finish", { summary: "edited" }),
        toolCall("write_file", { path: "late.py", content: "" }),
      ),
    ],
    {},
    { "a.py": "x = 1\n", "b.py": "" },
  );
  assert(result);
  assertEquals(result.packet, {
    writes: [{ path: "a.py", content: "x = 2\n" }],
    deletes: ["b.py"],
  });
  assertEquals(model.requests.length, 1);
  const tools = result.transcript.messages.filter((m) => m.role === "tool").map(
    (m) => String(m.content),
  );
  assertEquals(tools.at(-1), "Not executed: finish was already called");
});

Deno.test("runEngineerTurn() does not call the model when the signal is already aborted", async () => {
  const controller = new AbortController();
  controller.abort();
  const { error, model } = await turn(seWrite("h.py", "", "x"), {
    signal: controller.signal,
  });
  assertModelError(error, "cancelled", /cancelled/);
  assertEquals(model.requests.length, 0);
});
