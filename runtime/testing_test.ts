import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { actorRef } from "./ref.ts";
import { stepOnce } from "./testing.ts";

type CounterMsg = { type: "add"; n: number } | { type: "done" };
const counter = defineActor<{ total: number }, CounterMsg>({
  type: "counter",
  messages: z.discriminatedUnion("type", [
    z.object({ type: z.literal("add"), n: z.number().int() }),
    z.object({ type: z.literal("done") }),
  ]),
  initialState: () => ({ total: 0 }),
  handlers: {
    add(ctx, msg) {
      ctx.setState({ total: ctx.state.total + msg.n });
      ctx.emit({ kind: "ADDED", n: msg.n });
      ctx.send(actorRef<CounterMsg>("counter", "other"), { type: "done" });
      ctx.after(1000, { type: "done" });
    },
    done(ctx) {
      ctx.spawn(actorRef<CounterMsg>("counter", "child"), { seed: 1 });
      ctx.stop();
    },
  },
});

Deno.test("stepOnce() returns the state and every effect a handler asked for", async () => {
  const out = await stepOnce(counter, { total: 2 }, { type: "add", n: 3 });
  assertEquals(out.state, { total: 5 });
  assertEquals(out.events, [{ kind: "ADDED", n: 3 }]);
  assertEquals(out.sends, [{
    to: { type: "counter", id: "other" },
    msg: { type: "done" },
  }]);
  assertEquals(out.timers.map((t) => t.msg), [{ type: "done" }]);
  const done = await stepOnce(counter, out.state, { type: "done" });
  assertEquals(done.spawns, [{
    to: { type: "counter", id: "child" },
    init: { seed: 1 },
  }]);
  assertEquals([done.stopped, done.state], [true, { total: 5 }]);
});

Deno.test("stepOnce() refuses a message the actor's schema refuses, as delivery would", async () => {
  await rejects(
    stepOnce(counter, { total: 0 }, { type: "add", n: 1.5 }),
    (error: unknown) => error instanceof Error && error.name === "ZodError",
  );
});
