import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { eventually, testLogKey, withSystem } from "./testing.ts";
import { actorRef, refTo } from "./ref.ts";

const pingMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ping"),
    n: z.number(),
    replyTo: z.object({ type: z.string(), id: z.string() }),
  }),
  z.object({ type: z.literal("pong"), n: z.number() }),
]);
type PingMsg = z.infer<typeof pingMessages>;

const player = defineActor<{ seen: number[] }, PingMsg>({
  type: "player",
  messages: pingMessages,
  initialState: () => ({ seen: [] }),
  handlers: {
    ping(ctx, msg) {
      ctx.setState({ seen: [...ctx.state.seen, msg.n] });
      ctx.emit({ kind: "PING", n: msg.n });
      if (msg.n > 0) {
        ctx.send(actorRef<PingMsg>(msg.replyTo.type, msg.replyTo.id), {
          type: "ping",
          n: msg.n - 1,
          replyTo: ctx.self,
        });
      }
    },
    pong(ctx, msg) {
      ctx.setState({ seen: [...ctx.state.seen, -msg.n] });
    },
  },
});

Deno.test("ActorSystem ping-pong commits every step and its events", async () => {
  await withSystem([player], async (system, kv) => {
    const a = refTo(player, "a");
    const b = refTo(player, "b");
    await system.send(a, { type: "ping", n: 10, replyTo: b });
    const state = await eventually(async () => {
      const s = await system.getState<{ seen: number[] }>(a);
      return s && s.seen.length === 6 ? s : undefined;
    });
    assertEquals(state.seen, [10, 8, 6, 4, 2, 0]);
    assertEquals((await system.getState<{ seen: number[] }>(b))?.seen, [
      9,
      7,
      5,
      3,
      1,
    ]);
    const events: { seq: string; ts: string; kind: string; n: number }[] = [];
    for await (
      const e of kv.list<{ seq: string; ts: string; kind: string; n: number }>({
        prefix: ["log", "player", "a"],
      })
    ) {
      events.push(e.value);
    }
    assertEquals(events.map((e) => e.n), [10, 8, 6, 4, 2, 0]);
    assert(
      events.every((e, i) =>
        e.kind === "PING" && typeof e.ts === "string" &&
        (i === 0 || e.seq > events[i - 1]!.seq)
      ),
    );
    assertEquals(testLogKey(a, "x"), ["log", "player", "a", "x"]);
  });
});

const seqMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("item"), seq: z.number() }),
]);

const sink = defineActor<{ seen: number[] }, z.infer<typeof seqMessages>>({
  type: "sink",
  messages: seqMessages,
  initialState: () => ({ seen: [] }),
  handlers: {
    item(ctx, msg) {
      ctx.setState({ seen: [...ctx.state.seen, msg.seq] });
    },
  },
});

Deno.test("ActorSystem keeps per-actor order for a burst of concurrent sends packed by group commit", async () => {
  await withSystem([sink], async (system) => {
    const refs = ["s1", "s2", "s3"].map((id) => refTo(sink, id));
    const sends: Promise<string>[] = [];
    for (let seq = 0; seq < 100; seq++) {
      for (const ref of refs) {
        sends.push(system.send(ref, { type: "item", seq }));
      }
    }
    await Promise.all(sends);
    for (const ref of refs) {
      const seen = await eventually(() =>
        system.getState<{ seen: number[] }>(ref).then((s) =>
          s?.seen.length === 100 ? s.seen : undefined
        )
      );
      assertEquals(seen, Array.from({ length: 100 }, (_, i) => i));
    }
    assert(
      system.commits < 300,
      `group commit packed the sends (${system.commits} commits)`,
    );
    // One commit in flight at a time: what is counted is how much each
    // commit packs (with two in flight, three sequential actors' steps go out
    // one or two at a time, by design).
  }, { commitsInFlight: 1 });
});

Deno.test("defineActor() rejects a definition missing a handler at type-check time", () => {
  const def = defineActor<{ seen: number[] }, PingMsg>({
    type: "incomplete",
    messages: pingMessages,
    initialState: () => ({ seen: [] }),
    // @ts-expect-error -- `pong` has no handler
    handlers: {
      ping() {},
    },
  });
  assertEquals(Object.keys(def.handlers), ["ping"]);
});

const writer = defineActor<null, { type: "write"; n: number }>({
  type: "writer",
  messages: z.object({ type: z.literal("write"), n: z.number() }),
  initialState: () => null,
  handlers: {
    write(ctx, msg) {
      ctx.write({ kind: "set", key: ["domain", msg.n], value: msg.n });
    },
  },
});

Deno.test("afterWrites hears each step's ctx.write mutations once they are committed", async () => {
  const heard: { key: Deno.KvKey; stored: unknown }[] = [];
  let kvRef: Deno.Kv | null = null;
  const pending: Promise<void>[] = [];
  await withSystem([writer], async (system, kv) => {
    kvRef = kv;
    for (const n of [1, 2, 3]) {
      await system.send(refTo(writer, "w"), { type: "write", n });
    }
    await eventually(() => heard.length === 3 ? true : undefined);
    await Promise.all(pending);
    assertEquals(heard.map((h) => h.key), [
      ["domain", 1],
      ["domain", 2],
      ["domain", 3],
    ]);
    // Called after the commit: the write was already readable.
    assertEquals(heard.map((h) => h.stored), [1, 2, 3]);
  }, {
    afterWrites: (writes) => {
      for (const w of writes) {
        const entry = { key: w.key, stored: undefined as unknown };
        heard.push(entry);
        pending.push(
          kvRef!.get(w.key).then((e) => void (entry.stored = e.value)),
        );
      }
    },
  });
});
