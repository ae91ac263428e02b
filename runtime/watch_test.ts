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

const gated = z.discriminatedUnion("type", [
  z.object({ type: z.literal("slow") }),
  z.object({ type: z.literal("note"), text: z.string() }),
]);

Deno.test("mail another system sends while the actor's handler runs here is handled right after it, without a poll", async () => {
  const t = await tempKv();
  const started = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const def = defineActor<{ notes: string[] }, z.infer<typeof gated>>({
    type: "gated",
    messages: gated,
    initialState: () => ({ notes: [] }),
    handlers: {
      async slow(ctx) {
        started.resolve();
        await gate.promise;
        ctx.setState({ notes: [...ctx.state.notes, "slow"] });
      },
      note(ctx, msg) {
        ctx.setState({ notes: [...ctx.state.notes, msg.text] });
      },
    },
  });
  const options = {
    logKey: testLogKey,
    watch: true,
    pollMs: 3_600_000,
    queue: false,
  };
  const worker = new ActorSystem(t.kv, options);
  worker.register(def);
  const sender = new ActorSystem(t.kv, options);
  sender.register(def);
  try {
    await worker.start();
    const ref = refTo(def, "g1");
    await worker.send(ref, { type: "slow" });
    await started.promise;
    await sender.start();
    await sender.send(ref, { type: "note", text: "from afar" });
    // Let the worker see the wake-up while its handler still runs.
    await new Promise((r) => setTimeout(r, 200));
    gate.resolve();
    const notes = await eventually(
      () =>
        worker.getState<{ notes: string[] }>(ref).then((s) =>
          s?.notes.length === 2 ? s.notes : undefined
        ),
      5_000,
      "the note",
    );
    assertEquals(notes, ["slow", "from afar"]);
  } finally {
    gate.resolve();
    await sender.stop();
    await worker.stop();
    await t.cleanup();
  }
});
