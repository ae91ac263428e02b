import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { TerminalError } from "./errors.ts";
import { actorRef, refTo } from "./ref.ts";
import { eventually, withSystem } from "./testing.ts";
import type { Message } from "./types.ts";

const noticeMessages = z.object({
  type: z.literal("died"),
  actor: z.string(),
  messageType: z.string(),
  error: z.string(),
  attempts: z.number(),
});
type Notice = z.infer<typeof noticeMessages>;

const supervisor = defineActor<{ notices: Notice[] }, Notice>({
  type: "supervisor",
  messages: noticeMessages,
  initialState: () => ({ notices: [] }),
  handlers: {
    died(ctx, msg) {
      ctx.setState({ notices: [...ctx.state.notices, msg] });
    },
  },
});
const boss = refTo(supervisor, "boss");

const taskMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("terminal") }),
  z.object({ type: z.literal("broken") }),
  z.object({ type: z.literal("cursed") }),
  z.object({ type: z.literal("locked") }),
  z.object({ type: z.literal("ok") }),
]);
type TaskMsg = z.infer<typeof taskMessages>;

let lockedHookCalls = 0;

const task = defineActor<{ deaths: number; ok: number }, TaskMsg>({
  type: "task",
  messages: taskMessages,
  initialState: () => ({ deaths: 0, ok: 0 }),
  retry: { maxAttempts: 2, baseDelayMs: 5 },
  handlers: {
    terminal() {
      throw new TerminalError("Cannot ever work");
    },
    broken() {
      throw new Error("Broken every time");
    },
    cursed() {
      throw new TerminalError("Cursed");
    },
    locked() {
      throw new TerminalError("Locked out");
    },
    ok(ctx) {
      ctx.setState({ ...ctx.state, ok: ctx.state.ok + 1 });
    },
  },
  onDeadLetter(ctx, dl) {
    const type = (dl.message as { type?: string }).type ?? "?";
    if (type === "cursed") throw new Error("The hook itself fails");
    if (type === "locked" && ++lockedHookCalls === 1) {
      throw new Error("database is locked");
    }
    ctx.setState({ ...ctx.state, deaths: ctx.state.deaths + 1 });
    ctx.write({ kind: "set", key: ["died", dl.messageId], value: dl.error });
    ctx.send(boss, {
      type: "died",
      actor: `${dl.actor.type}/${dl.actor.id}`,
      messageType: type,
      error: dl.error,
      attempts: dl.attempts,
    });
  },
});

Deno.test("onDeadLetter's effects are committed with the dead letter: a supervisor hears of every message that died", async () => {
  await withSystem([task, supervisor], async (system, kv) => {
    const t1 = refTo(task, "t1");
    const terminalId = await system.send(t1, { type: "terminal" });
    await system.send(t1, { type: "broken" });
    // A message no handler accepts (another process, an older version).
    await system.send(actorRef<Message>("task", "t1"), { type: "nonsense" });
    await system.send(t1, { type: "ok" });
    const notices = await eventually(async () => {
      const s = await system.getState<{ notices: Notice[] }>(boss);
      return s && s.notices.length === 3 ? s.notices : undefined;
    });
    assertEquals(notices.map((n) => [n.actor, n.messageType, n.attempts]), [
      ["task/t1", "terminal", 1],
      ["task/t1", "broken", 2],
      ["task/t1", "nonsense", 1],
    ]);
    assert(notices[0]!.error.includes("Cannot ever work"));
    assert(notices[1]!.error.includes("Broken every time"));
    assert(notices[2]!.error.startsWith("Message failed validation"));
    assertEquals(
      (await kv.get(["died", terminalId])).value,
      (await system.deadLetters())[0]!.error,
    );
    assertEquals(
      await eventually(async () => {
        const s = await system.getState<{ deaths: number; ok: number }>(t1);
        return s?.ok === 1 ? s : undefined;
      }),
      { deaths: 3, ok: 1 },
    );
  });
});

Deno.test("a throwing onDeadLetter still dead-letters the message; a transient failure of it is retried", async () => {
  lockedHookCalls = 0;
  await withSystem([task, supervisor], async (system) => {
    const t2 = refTo(task, "t2");
    await system.send(t2, { type: "cursed" });
    await system.send(t2, { type: "locked" });
    await system.send(t2, { type: "ok" });
    const notices = await eventually(async () => {
      const s = await system.getState<{ notices: Notice[] }>(boss);
      return s && s.notices.length === 1 ? s.notices : undefined;
    });
    assertEquals(notices.map((n) => n.messageType), ["locked"]);
    assertEquals(lockedHookCalls, 2);
    const dls = await system.deadLetters();
    assertEquals(dls.map((d) => (d.message as { type: string }).type), [
      "cursed",
      "locked",
    ]);
    assertEquals(
      await eventually(async () => {
        const s = await system.getState<{ deaths: number; ok: number }>(t2);
        return s?.ok === 1 ? s : undefined;
      }),
      { deaths: 1, ok: 1 },
    );
  });
});

let lockedTimes = 0;
const locked = defineActor<{ attempts: number[] }, { type: "write" }>({
  type: "locked",
  messages: z.object({ type: z.literal("write") }),
  initialState: () => ({ attempts: [] }),
  retry: { maxAttempts: 2, baseDelayMs: 1 },
  handlers: {
    write(ctx) {
      ctx.setState({ attempts: [...ctx.state.attempts, ctx.attempt] });
      // Another process holds SQLite's write lock for a while.
      if (++lockedTimes <= 5) throw new TypeError("database is locked");
    },
  },
});

Deno.test("a handler failing with a transient storage error is redelivered without using up its attempts", async () => {
  await withSystem([locked], async (system) => {
    const ref = refTo(locked, "l1");
    await system.send(ref, { type: "write" });
    const state = await eventually(async () => {
      const s = await system.getState<{ attempts: number[] }>(ref);
      return s?.attempts.length === 1 ? s : undefined;
    });
    // Only the successful delivery commits state; it is still attempt 1.
    assertEquals(state.attempts, [1]);
    assertEquals(lockedTimes, 6);
    assertEquals(await system.deadLetters(), []);
  });
});

const alwaysLocked = defineActor<null, { type: "write" }>({
  type: "always_locked",
  messages: z.object({ type: z.literal("write") }),
  initialState: () => null,
  retry: { maxAttempts: 2, baseDelayMs: 1, maxTransientRetries: 3 },
  handlers: {
    write() {
      throw new TypeError("database is locked");
    },
  },
});

Deno.test("transient redeliveries are bounded: past maxTransientRetries they count as attempts again", async () => {
  await withSystem([alwaysLocked], async (system) => {
    await system.send(refTo(alwaysLocked, "a1"), { type: "write" });
    const [dl] = await eventually(async () => {
      const dls = await system.deadLetters();
      return dls.length > 0 ? dls : undefined;
    });
    assertEquals(dl!.attempts, 2);
    assert(dl!.error.includes("database is locked"), dl!.error);
  });
});
