import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { parseTextToolCalls, textWithoutCalls } from "./text_tool_calls.ts";

const KNOWN = new Set(["write_file", "read_file", "finish", "list_files"]);
const calls = (text: string) =>
  parseTextToolCalls(text, KNOWN).map(({ name, arguments: a }) => ({
    name,
    arguments: JSON.parse(a),
  }));

Deno.test("parseTextToolCalls() reads Qwen/Hermes <tool_call> blocks", () => {
  const text = `I'll create the file.
<tool_call>
{"name": "write_file", "arguments": {"path": "a.py", "content": "x = 1\\n"}}
</tool_call>
<tool_call>
{"name": "finish", "arguments": {"summary": "done"}}
</tool_call>`;
  assertEquals(calls(text), [
    { name: "write_file", arguments: { path: "a.py", content: "x = 1\n" } },
    { name: "finish", arguments: { summary: "done" } },
  ]);
  assertEquals(
    textWithoutCalls(text, parseTextToolCalls(text, KNOWN)),
    "I'll create the file.",
  );
});

Deno.test("parseTextToolCalls() reads a fenced json object, 'parameters' and arguments as a JSON string", () => {
  assertEquals(
    calls(
      'Here:\n```json\n{"name": "read_file", "parameters": {"path": "b.ts"}}\n```\n',
    ),
    [{ name: "read_file", arguments: { path: "b.ts" } }],
  );
  assertEquals(
    calls(
      '{"name": "write_file", "arguments": "{\\"path\\": \\"c\\", \\"content\\": \\"\\"}"}',
    ),
    [{ name: "write_file", arguments: { path: "c", content: "" } }],
  );
});

Deno.test("parseTextToolCalls() reads a bare object, OpenAI's function shape, and a call without arguments", () => {
  assertEquals(
    calls(
      'Calling {"type": "function", "function": {"name": "finish", "arguments": {"summary": "s"}}} now',
    ),
    [{ name: "finish", arguments: { summary: "s" } }],
  );
  assertEquals(calls('{"name": "list_files"}'), [
    { name: "list_files", arguments: {} },
  ]);
  // Wrapped in a list of calls.
  assertEquals(
    calls(
      '{"tool_calls": [{"name": "finish", "arguments": {"summary": "w"}}]}',
    ),
    [{ name: "finish", arguments: { summary: "w" } }],
  );
});

Deno.test("parseTextToolCalls() repairs raw newlines in strings, keeps a broken argument string as sent", () => {
  assertEquals(
    calls(
      '{"name": "write_file", "arguments": {"path": "a.py", "content": "def f():\n    return 1\n"}}',
    ),
    [{
      name: "write_file",
      arguments: { path: "a.py", content: "def f():\n    return 1\n" },
    }],
  );
  const broken = parseTextToolCalls(
    '{"name": "write_file", "arguments": "{path: a.py"}',
    KNOWN,
  );
  assertEquals(broken.map((c) => c.arguments), ["{path: a.py"]);
});

Deno.test("parseTextToolCalls() ignores unknown tools, prose braces, plain JSON and a call inside another call's string", () => {
  assertEquals(calls('{"name": "rm_rf", "arguments": {"path": "/"}}'), []);
  assertEquals(calls('{"name": "Alice", "age": 3}'), []);
  assertEquals(calls("Use a dict like {a: 1} or a set {1, 2}."), []);
  assertEquals(calls("plain prose without any call"), []);
  const nested = calls(
    '{"name": "write_file", "arguments": {"path": "t.json", "content": "{\\"name\\": \\"finish\\", \\"arguments\\": {}}"}}',
  );
  assertEquals(nested.length, 1);
  assertEquals(nested[0]?.name, "write_file");
  // An object cut off at the end is no call.
  assertEquals(
    calls('<tool_call>{"name": "finish", "arguments": {"summary": "x"'),
    [],
  );
});

Deno.test("parseTextToolCalls() finds a call after an unbalanced brace in prose", () => {
  assertEquals(
    calls(
      'Prose with { an open brace. {"name": "finish", "arguments": {"summary": "ok"}}',
    ),
    [{ name: "finish", arguments: { summary: "ok" } }],
  );
  // Unbalanced fences change nothing.
  assertEquals(
    calls(
      '```json\n```\n```\n{"name": "finish", "arguments": {"summary": "f"}}',
    ),
    [{ name: "finish", arguments: { summary: "f" } }],
  );
});

Deno.test("parseTextToolCalls() does bounded work on hostile text", () => {
  const hostile = [
    "{".repeat(200_000),
    '{"name": "finish", '.repeat(50_000),
    '{"name":"finish","x":'.repeat(30_000) + "1" + "}".repeat(30_000),
    "```".repeat(100_000),
    '"'.repeat(100_000) + '{"name": "finish"}',
    "}".repeat(200_000),
    '<tool_call>{"name": "finish", "arguments": {}}</tool_call>'.repeat(20_000),
  ];
  for (const text of hostile) {
    const stats = { parsedChars: 0 };
    const found = parseTextToolCalls(text, KNOWN, stats);
    assert(found.length <= 16, `${found.length} calls from one text`);
    // The scan is one pass; parsing is bounded by a fixed number of candidates
    // (nested candidates would otherwise be parsed again and again).
    assert(
      stats.parsedChars <= 24 * text.length,
      `${stats.parsedChars} characters parsed for a text of ${text.length}`,
    );
  }
});

Deno.test("parseTextToolCalls() takes no call nested past 64 levels, and never parses one", () => {
  const deep = '{"name": "finish", "arguments": {"summary": "s", "x": ' +
    "[".repeat(70) + "]".repeat(70) + "}}";
  const stats = { parsedChars: 0 };
  assertEquals(parseTextToolCalls(deep, KNOWN, stats), []);
  assertEquals(stats.parsedChars, 0);
  // Shallow nesting is fine.
  const shallow = '{"name": "finish", "arguments": {"summary": "s", "x": ' +
    "[".repeat(10) + "]".repeat(10) + "}}";
  assertEquals(calls(shallow).map((c) => c.name), ["finish"]);
});

Deno.test("parseTextToolCalls() takes no call from the tool list echoed back", () => {
  const echo = "<tools>\n" +
    '{"type": "function", "function": {"name": "read_file", "description": "Show a file.", ' +
    '"parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}\n' +
    '{"name": "finish", "parameters": {"type": "object", "properties": {"summary": {"type": "string"}}}}\n' +
    '</tools>\n{"name": "list_files", "arguments": {"path": "src"}}';
  assertEquals(calls(echo), [{
    name: "list_files",
    arguments: { path: "src" },
  }]);
});

Deno.test("parseTextToolCalls() reads arguments written as Python triple-quoted strings", () => {
  const text =
    '{"name": "write_file", "arguments": {"path": "a.py", "content": """\n' +
    'def f(x):\n    return {"x": x}\n"""}}';
  assertEquals(calls(text), [{
    name: "write_file",
    arguments: { path: "a.py", content: '\ndef f(x):\n    return {"x": x}\n' },
  }]);
});
