import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MAX_ARGUMENTS_CHARS, seReplies } from "./se_steps.ts";

const call = (id: string, name: string, args: unknown) => ({
  id,
  type: "function",
  function: { name, arguments: JSON.stringify(args) },
});

Deno.test("seReplies() pairs each call with its result and the reply's tokens", () => {
  const replies = seReplies({
    transcript: {
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "task" },
        {
          role: "assistant",
          content: "Looking first.",
          tool_calls: [
            call("a", "read_file", { path: "x.py" }),
            call("b", "edit_file", { path: "y.py" }),
          ],
        },
        { role: "tool", tool_call_id: "a", content: "1: x = 1" },
        { role: "tool", tool_call_id: "b", content: "Error: no y.py" },
        {
          role: "assistant",
          content: null,
          tool_calls: [call("c", "finish", { summary: "done" })],
        },
      ],
      exchanges: [
        { usage: { total_tokens: 120 } },
        { usage: { total_tokens: 80 } },
      ],
    },
  });
  assertEquals(
    replies.map((r) => [r.reply, r.text, r.tokens, r.steps.length]),
    [[1, "Looking first.", 120, 2], [2, null, 80, 1]],
  );
  assertEquals(replies[0]?.steps.map((s) => [s.tool, s.failed, s.tokens]), [
    ["read_file", false, 120],
    ["edit_file", true, null],
  ]);
  assertEquals(replies[0]?.steps[0]?.arguments, '{"path":"x.py"}');
  assertEquals(replies[0]?.steps[0]?.result, "1: x = 1");
  assertEquals(replies[1]?.steps[0]?.result, null);
});

Deno.test("seReplies() shortens huge arguments and skips what does not fit the shape", () => {
  const replies = seReplies({
    transcript: {
      messages: [
        "junk",
        {
          role: "assistant",
          tool_calls: [
            { id: 1 },
            call("w", "write_file", { path: "a", content: "x".repeat(5000) }),
          ],
        },
      ],
    },
  });
  const args = replies[0]?.steps[0]?.arguments ?? "";
  assertEquals(replies[0]?.steps.length, 1);
  assertEquals(args.startsWith('{"path":"a"'), true);
  assertEquals(args.length < MAX_ARGUMENTS_CHARS + 50, true);
  for (const bad of [null, 3, "x", { transcript: { messages: "no" } }]) {
    assertEquals(seReplies(bad), []);
  }
});
