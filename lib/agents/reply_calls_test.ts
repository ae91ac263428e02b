import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { ChatCompletionMessage } from "../llm/mod.ts";
import { replyCalls } from "./reply_calls.ts";

const KNOWN = new Set(["finish"]);
const text =
  'Done.\n<tool_call>{"name": "finish", "arguments": {"summary": "s"}}</tool_call>';
const message = (extra: Partial<ChatCompletionMessage>) =>
  ({
    role: "assistant",
    content: text,
    refusal: null,
    ...extra,
  }) as ChatCompletionMessage;

Deno.test("replyCalls() reads calls from the text when the server sent none", () => {
  const read = replyCalls(message({}), KNOWN, "c");
  assertEquals(read.calls, [{
    id: "c_text_0",
    name: "finish",
    arguments: '{"summary":"s"}',
  }]);
  assertEquals(read.message.content, "Done.");
  assertEquals(read.fromText, text);
});

Deno.test("replyCalls() keeps the server's calls and drops their echo from the text", () => {
  const read = replyCalls(
    message({
      tool_calls: [{
        id: "x",
        type: "function",
        function: { name: "finish", arguments: '{"summary":"s"}' },
      }],
    }),
    KNOWN,
    "c",
  );
  assertEquals(read.calls.map((c) => c.id), ["x"]);
  assertEquals(read.message.content, "Done.");
  assertEquals(read.fromText, null);
});

Deno.test("replyCalls() leaves a reply naming no known tool as it is", () => {
  const plain = message({ content: '{"name": "rm", "arguments": {}}' });
  const read = replyCalls(plain, KNOWN, "c");
  assertEquals([read.calls, read.message, read.fromText], [[], plain, null]);
});
