import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { actorRef, refTo } from "./ref.ts";
import { ActorSystem } from "./system.ts";
import { eventually, tempKv, testLogKey, withSystem } from "./testing.ts";

const parentMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("begin") }),
  z.object({ type: z.literal("tick"), n: z.number() }),
  z.object({ type: z.literal("halt") }),
  z.object({ type: z.literal("kill_child") }),
]);
type ParentMsg = z.infer<typeof parentMessages>;

const childMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("work") }),
  z.object({ type: z.literal("hang") }),
]);
type ChildMsg = z.infer<typeof childMessages>;

const aborted: string[] = [];

const parent = defineActor<{ ticks: number[] }, ParentMsg>({
  type: "parent",
  messages: parentMessages,
  initialState: () => ({ ticks: [] }),
  handlers: {
    begin(ctx) {
      const child = ctx.spawn(actorRef<ChildMsg>("child", ctx.self.id), {
        label: `child of ${ctx.self.id}`,
      });
      ctx.send(child, { type: "work" });
      ctx.after(30, { type: "tick", n: 2 });
      ctx.after(10, { type: "tick", n: 1 });
    },
    tick(ctx, msg) {
      ctx.setState({ ticks: [...ctx.state.ticks, msg.n] });
    },
    halt(ctx) {
      ctx.stop();
    },
    kill_child(ctx) {
      ctx.cancel({ type: "child", id: ctx.self.id });
    },
  },
});

const child = defineActor<{ label: string; worked: number }, ChildMsg>({
  type: "child",
  messages: childMessages,
  initialState: (init) => ({
    label: (init as { label?: string } | undefined)?.label ?? "lazy",
    worked: 0,
  }),
  handlers: {
    work(ctx) {
      ctx.setState({ ...ctx.state, worked: ctx.state.worked + 1 });
      ctx.emit({ kind: "CHILD_WORKED" });
    },
    async hang(ctx) {
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      aborted.push(ctx.self.id);
      ctx.setState({ ...ctx.state, worked: -1 });
    },
  },
});

Deno.test("spawn() creates the child with init and the parent's owner; timers fire in due order", async () => {
  await withSystem([parent, child], async (system, kv) => {
    await system.send(refTo(parent, "p1"), { type: "begin" });
    const ticks = await eventually(async () => {
      const s = await system.getState<{ ticks: number[] }>({
        type: "parent",
        id: "p1",
      });
      return s && s.ticks.length === 2 ? s.ticks : undefined;
    });
    assertEquals(ticks, [1, 2]);
    const state = await eventually(() =>
      system.getState<{ label: string; worked: number }>({
        type: "child",
        id: "p1",
      }).then((s) => s?.worked === 1 ? s : undefined)
    );
    assertEquals(state.label, "child of p1");
    const events = [];
    for await (
      const e of kv.list({
        prefix: testLogKey({ type: "parent", id: "p1" }, "").slice(0, 3),
      })
    ) events.push(e.value);
    assertEquals(events.length, 1);
  });
});

Deno.test("mail to an actor never spawned creates it lazily with initialState(undefined)", async () => {
  await withSystem([child], async (system) => {
    await system.send(refTo(child, "solo"), { type: "work" });
    const state = await eventually(() =>
      system.getState<{ label: string; worked: number }>({
        type: "child",
        id: "solo",
      }).then((s) => s ?? undefined)
    );
    assertEquals(state, { label: "lazy", worked: 1 });
  });
});

Deno.test("cancel() aborts the in-flight handler, discards its step and drops later mail", async () => {
  await withSystem([parent, child], async (system, kv) => {
    const ref = actorRef<ChildMsg>("child", "c-cancel");
    await system.send(ref, { type: "work" });
    await eventually(() =>
      system.getState<{ worked: number }>(ref).then((s) =>
        s?.worked === 1 || undefined
      )
    );
    await system.send(ref, { type: "hang" });
    await system.send(ref, { type: "work" });
    await new Promise((r) => setTimeout(r, 50));
    await system.cancel(ref);
    await eventually(() => aborted.includes("c-cancel") || undefined);
    await eventually(
      async () => {
        for await (
          const _ of kv.list({ prefix: ["rt", "mail", "child", "c-cancel"] })
        ) return undefined;
        return true;
      },
      10_000,
      "mailbox drained",
    );
    await system.send(ref, { type: "work" });
    await new Promise((r) => setTimeout(r, 100));
    assertEquals((await system.getState<{ worked: number }>(ref))?.worked, 1);
    assertEquals(await system.deadLetters(), []);
  });
});

Deno.test("ctx.cancel() and ctx.stop() end other actors and the actor itself", async () => {
  await withSystem([parent, child], async (system) => {
    const p = actorRef<ParentMsg>("parent", "p2");
    const c = actorRef<ChildMsg>("child", "p2");
    await system.send(c, { type: "hang" });
    await new Promise((r) => setTimeout(r, 30));
    await system.send(p, { type: "kill_child" });
    await eventually(() => aborted.includes("p2") || undefined);
    await system.send(p, { type: "halt" });
    await system.send(p, { type: "tick", n: 9 });
    await new Promise((r) => setTimeout(r, 100));
    assertEquals((await system.getState<{ ticks: number[] }>(p))?.ticks, []);
    assertEquals(await system.getState<{ worked: number }>(c), null);
  });
});

Deno.test("stop() aborts in-flight handlers and the message is redone after restart", async () => {
  const t = await tempKv();
  try {
    const ref = actorRef<ChildMsg>("child", "c-stop");
    const first = new ActorSystem(t.kv, { logKey: testLogKey });
    first.register(child);
    await first.start();
    await first.send(ref, { type: "hang" });
    await new Promise((r) => setTimeout(r, 50));
    await first.stop();
    assert(aborted.includes("c-stop"));
    assertEquals(await first.getState(ref), null);
    const second = new ActorSystem(t.kv, { logKey: testLogKey });
    second.register(child);
    await second.start();
    await second.send(ref, { type: "work" });
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(
      await second.getState(ref),
      null,
      "hang is redone first and blocks the actor",
    );
    await second.stop();
  } finally {
    await t.cleanup();
  }
});
