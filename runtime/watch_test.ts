import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { refTo } from "./ref.ts";
import { ActorSystem } from "./system.ts";
import { eventually, tempKv, testLogKey } from "./testing.ts";

const noteMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("note"), text: z.string() }),
]);

const notebook = defineActor<{ notes: string[] }, z.infer<typeof noteMessages>>(
  {
    type: "notebook",
    messages: noteMessages,
    initialState: () => ({ notes: [] }),
    handlers: {
      note(ctx, msg) {
        ctx.setState({ notes: [...ctx.state.notes, msg.text] });
      },
    },
  },
);

Deno.test("a worker with watch: true picks up mail another system wrote, without polling", async () => {
  const t = await tempKv();
  const worker = new ActorSystem(t.kv, {
    logKey: testLogKey,
    watch: true,
    pollMs: 3_600_000,
    queue: false,
  });
  worker.register(notebook);
  const sender = new ActorSystem(t.kv, { logKey: testLogKey, watch: true });
  try {
    await worker.start();
    const ref = refTo(notebook, "n1");
    for (const text of ["one", "two", "three"]) {
      await sender.send(ref, { type: "note", text });
    }
    const notes = await eventually(() =>
      worker.getState<{ notes: string[] }>(ref).then((s) =>
        s?.notes.length === 3 ? s.notes : undefined
      )
    );
    assertEquals(notes, ["one", "two", "three"]);
  } finally {
    await worker.stop();
    await t.cleanup();
  }
});
