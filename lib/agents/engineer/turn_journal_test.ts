import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { errorReply, reply, toolCall } from "../../llm/testing.ts";
import { journaledPacket, MemoryJournal } from "./journal.ts";
import { assertModelError, MemoryWorkspace, sent, turn } from "./testing.ts";

Deno.test("runEngineerTurn() resumed from its journal repeats only the call in flight", async () => {
  const journal = new MemoryJournal();
  const files = { "a.py": "x = 1\n" };
  // First attempt: two steps, then the endpoint fails the third request for good.
  const first = await turn(
    [
      reply(toolCall("write_file", { path: "b.py", content: "b = 2\n" })),
      reply(
        toolCall("edit_file", { path: "a.py", old_text: "1", new_text: "3" }),
        toolCall("read_file", { path: "a.py" }),
      ),
      errorReply(401, "invalid_api_key"),
    ],
    { journal },
    files,
  );
  assertModelError(first.error, "auth", /HTTP 401/);
  assertEquals(first.model.requests.length, 3);
  assertEquals(
    journal.entries.map((e) => e.type),
    ["start", "reply", "tool", "reply", "tool", "tool"],
  );
  const pending = journaledPacket(journal.entries);
  assertEquals(pending, {
    writes: [
      { path: "a.py", content: "x = 3\n" },
      { path: "b.py", content: "b = 2\n" },
    ],
    deletes: [],
  });

  // Second attempt, as another worker would: a fresh workspace with the journaled changes put back.
  const workspace = new MemoryWorkspace(files);
  for (const w of pending.writes) await workspace.writeFile(w.path, w.content);
  const second = await turn(
    [reply(toolCall("finish", { summary: "b.py added, a.py edited" }))],
    { journal, workspace },
    files,
  );
  assert(second.result, String(second.error));
  // One request only: the one that was in flight, byte for byte the same conversation.
  assertEquals(second.model.requests.length, 1);
  assertEquals(sent(second.model, 0), sent(first.model, 2));
  assertEquals(second.result.steps, 3);
  assertEquals(second.result.packet, pending);
  // The paid replies of the first attempt count in the usage.
  assertEquals(second.result.transcript.exchanges.length, 3);
  assert(
    second.result.usage.prompt_tokens >
      second.result.transcript.exchanges[2]!.usage.prompt_tokens,
  );
});

Deno.test("runEngineerTurn() resumed after its tool calls were journaled does not run them again", async () => {
  const journal = new MemoryJournal();
  const workspace = new MemoryWorkspace({});
  const first = await turn([
    reply(toolCall("write_file", { path: "n.py", content: "1\n" })),
    { delayMs: 0, then: errorReply(404, "model_not_found") },
  ], { journal, workspace });
  assertModelError(first.error, "config", /404/);
  const writesBefore = workspace.writes.size;
  const second = await turn(
    [reply(toolCall("finish", { summary: "ok" }))],
    { journal, workspace },
  );
  assert(second.result);
  assertEquals(workspace.writes.size, writesBefore);
  assertEquals(second.model.requests.length, 1);
  // No second write_file result in the conversation.
  const tools = second.result.transcript.messages.filter((m) =>
    m.role === "tool"
  );
  assertEquals(tools.length, 2);
});
