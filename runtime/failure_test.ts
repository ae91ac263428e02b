import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { CommitConflictError, TerminalError } from "./errors.ts";
import { actorRef } from "./ref.ts";
import { eventually, withSystem } from "./testing.ts";
import type { DeadLetter, Message } from "./types.ts";

const jobMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("flaky"), failTimes: z.number() }),
  z.object({ type: z.literal("broken") }),
  z.object({ type: z.literal("terminal") }),
  z.object({ type: z.literal("huge") }),
  z.object({ type: z.literal("mark"), key: z.string() }),
]);
type JobMsg = z.infer<typeof jobMessages>;

const job = defineActor<{ done: string[] }, JobMsg>({
  type: "job",
  messages: jobMessages,
  initialState: () => ({ done: [] }),
  retry: { maxAttempts: 3, baseDelayMs: 5 },
  handlers: {
    flaky(ctx, msg) {
      if (ctx.attempt <= msg.failTimes) {
        throw new Error(`Attempt ${ctx.attempt} failed`);
      }
      ctx.setState({ done: [...ctx.state.done, `flaky@${ctx.attempt}`] });
    },
    broken() {
      throw new Error("Always broken");
    },
    terminal() {
      throw new TerminalError("No point retrying");
    },
    huge(ctx) {
      ctx.write({ kind: "set", key: ["big"], value: "x".repeat(70_000) });
      ctx.setState({ done: [...ctx.state.done, "huge"] });
    },
    mark(ctx, msg) {
      ctx.write({ kind: "set", key: ["mark", msg.key], value: ctx.attempt });
      ctx.setState({ done: [...ctx.state.done, msg.key] });
    },
  },
});

const ref = actorRef<JobMsg>("job", "j1");

async function deadLettersUntil(
  list: () => Promise<DeadLetter[]>,
  n: number,
): Promise<DeadLetter[]> {
  return await eventually(
    async () => {
      const dls = await list();
      return dls.length >= n ? dls : undefined;
    },
    10_000,
    `${n} dead letters`,
  );
}

Deno.test("a throwing handler is retried with backoff, then succeeds", async () => {
  await withSystem([job], async (system) => {
    await system.send(ref, { type: "flaky", failTimes: 2 });
    const state = await eventually(async () =>
      (await system.getState<{ done: string[] }>(ref))?.done[0]
    );
    assertEquals(state, "flaky@3");
    assertEquals(await system.deadLetters(), []);
  });
});

Deno.test("a handler failing every attempt is dead-lettered with its error, later mail still runs", async () => {
  const reported: DeadLetter[] = [];
  await withSystem([job], async (system) => {
    const id = await system.send(ref, { type: "broken" });
    await system.send(ref, { type: "mark", key: "after" });
    const [dl] = await deadLettersUntil(() => system.deadLetters(), 1);
    assertEquals(dl!.messageId, id);
    assertEquals(dl!.actor, ref);
    assertEquals(dl!.attempts, 3);
    assertEquals(dl!.message, { type: "broken" });
    assert(dl!.error.includes("Always broken"), dl!.error);
    await eventually(async () =>
      (await system.getState<{ done: string[] }>(ref))?.done.includes(
        "after",
      ) || undefined
    );
    assertEquals(reported.length, 1);
  }, { onDeadLetter: (dl) => reported.push(dl) });
});

Deno.test("TerminalError and invalid messages are dead-lettered without retry", async () => {
  await withSystem([job], async (system) => {
    await system.send(ref, { type: "terminal" });
    // Mail from outside the type system (another process, an older version).
    const untyped = actorRef<Message>(ref.type, ref.id);
    await system.send(untyped, { type: "flaky", failTimes: "two" });
    await system.send(untyped, { type: "unknown" });
    const dls = await deadLettersUntil(() => system.deadLetters(), 3);
    assertEquals(dls.map((d) => d.attempts), [1, 1, 1]);
    assert(dls[0]!.error.includes("No point retrying"));
    assert(dls[1]!.error.includes("failTimes"), dls[1]!.error);
    assert(
      dls[2]!.error.startsWith("Message failed validation"),
      dls[2]!.error,
    );
  });
});

Deno.test("a step over KV limits is dead-lettered and nothing of it is committed", async () => {
  await withSystem([job], async (system, kv) => {
    await system.send(ref, { type: "huge" });
    const [dl] = await deadLettersUntil(() => system.deadLetters(), 1);
    assert(/Value too large|bytes/.test(dl!.error), dl!.error);
    assertEquals((await kv.get(["big"])).value, null);
    assertEquals(await system.getState(ref), null);
  });
});

Deno.test("send() commits extra mutations atomically and throws CommitConflictError on a failed check", async () => {
  await withSystem([job], async (system, kv) => {
    await system.send(ref, { type: "mark", key: "a" }, [
      { kind: "set", key: ["record"], value: 1 },
      { kind: "check", key: ["record"], versionstamp: null },
    ]);
    assertEquals((await kv.get(["record"])).value, 1);
    await rejects(
      system.send(ref, { type: "mark", key: "b" }, [
        { kind: "check", key: ["record"], versionstamp: null },
        { kind: "set", key: ["record"], value: 2 },
      ]),
      CommitConflictError,
    );
    await eventually(async () =>
      (await system.getState<{ done: string[] }>(ref))?.done.includes("a") ||
      undefined
    );
    assertEquals((await kv.get(["record"])).value, 1);
    assertEquals((await kv.get(["mark", "b"])).value, null);
  });
});
