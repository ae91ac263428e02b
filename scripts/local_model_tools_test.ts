import assert from "node:assert/strict";
import {
  toGrammarSchema,
  toolCallsInText,
  withoutNulls,
} from "./local_model_tools.mjs";

const offered = { write_file: {}, finish: {} };

Deno.test("a fenced JSON call naming an offered tool is a tool call", () => {
  const text = '```json\n{"name": "write_file", "arguments": ' +
    '{"path": "a.py", "content": "x = 1\\n"}}\n```';
  assert.deepEqual(toolCallsInText(text, offered), [
    {
      functionName: "write_file",
      params: { path: "a.py", content: "x = 1\n" },
    },
  ]);
});

Deno.test("<tool_call> blocks win over fences, several calls kept in order", () => {
  const text =
    'Sure.\n<tool_call>\n{"name": "write_file", "arguments": {"path": "a"}}\n' +
    '</tool_call>\n<tool_call>{"name": "finish", "arguments": "{\\"summary\\": \\"ok\\"}"}' +
    '</tool_call>\n```json\n{"name": "finish", "arguments": {}}\n```';
  assert.deepEqual(toolCallsInText(text, offered), [
    { functionName: "write_file", params: { path: "a" } },
    { functionName: "finish", params: { summary: "ok" } },
  ]);
});

Deno.test("text naming a tool that was not offered, or not JSON, stays text", () => {
  assert.deepEqual(
    toolCallsInText('{"name": "rm_rf", "arguments": {}}', offered),
    [],
  );
  assert.deepEqual(toolCallsInText('{"name": "finish", "argu', offered), []);
  assert.deepEqual(
    toolCallsInText("I will call write_file next.", offered),
    [],
  );
  assert.deepEqual(toolCallsInText('{"name": "finish"}', undefined), []);
  // A name inherited from Object.prototype is no offered tool.
  assert.deepEqual(
    toolCallsInText('{"name": "constructor", "arguments": {}}', offered),
    [],
  );
});

Deno.test("arguments that are a string of broken JSON are passed on as that string", () => {
  assert.deepEqual(
    toolCallsInText('{"name": "finish", "arguments": "{summary: ok"}', offered),
    [{ functionName: "finish", params: "{summary: ok" }],
  );
});

Deno.test("optional properties become nullable, unknown keywords are dropped", () => {
  const schema = {
    type: "object",
    $schema: "http://json-schema.org/draft-07/schema#",
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: "file" },
      start_line: { type: "integer", minimum: 1 },
      mode: { enum: ["a", "b"] },
      tags: { type: "array", items: { type: ["string", "null"] } },
    },
    required: ["path"],
  };
  assert.deepEqual(toGrammarSchema(schema), {
    type: "object",
    properties: {
      path: { type: "string", description: "file" },
      start_line: { oneOf: [{ type: "integer" }, { type: "null" }] },
      mode: { oneOf: [{ enum: ["a", "b"] }, { type: "null" }] },
      tags: {
        oneOf: [
          {
            type: "array",
            items: { oneOf: [{ type: "string" }, { type: "null" }] },
          },
          { type: "null" },
        ],
      },
    },
  });
  assert.deepEqual(
    withoutNulls({ path: "a", start_line: null, n: [1, null] }),
    {
      path: "a",
      n: [1, null],
    },
  );
});

Deno.test("a call with prose and a stray fence around it is found by its balanced braces", () => {
  const text =
    '{"name": "read_file", "arguments": {"path": "stats.py", "note": "a } b"}}' +
    " ```\n1 def median(values):\n    { not json";
  assert.deepEqual(toolCallsInText(text, { read_file: {} }), [
    {
      functionName: "read_file",
      params: { path: "stats.py", note: "a } b" },
    },
  ]);
  assert.deepEqual(
    toolCallsInText('I would run {"name": "rm", "arguments": {}} here', {
      read_file: {},
    }),
    [],
  );
});

Deno.test("the tool list echoed back by a small model is no call", () => {
  const echo = "<tools>\n" +
    '{"type": "function", "function": {"name": "write_file", "description": "Write a file.", ' +
    '"parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}\n' +
    '{"name": "finish", "parameters": {"type": "object", "properties": {"summary": {"type": "string"}}}}\n' +
    "</tools>";
  assert.deepEqual(toolCallsInText(echo, offered), []);
});
