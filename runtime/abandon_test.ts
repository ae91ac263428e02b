import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { actorRef } from "./ref.ts";
import { eventually, withSystem } from "./testing.ts";

const messages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hang") }),
  z.object({ type: z.literal("work") }),
]);
type Msg = z.infer<typeof messages>;

/** Set when a hung handler finally returns: its effects must not land. */
let release: (() => void) | null = null;

/** A heavy actor whose `hang` awaits something that ignores the abort signal (a read of a FIFO, a lost socket). */
const stuck = defineActor<{ worked: number }, Msg>({
  type: "stuck",
  messages,
  initialState: () => ({ worked: 0 }),
  heavy: true,
  handlers: {
    async hang(ctx) {
      await new Promise<void>((resolve) => (release = resolve));
      ctx.setState({ worked: -1 });
    },
    work(ctx) {
      ctx.setState({ worked: ctx.state.worked + 1 });
    },
  },
});

Deno.test("a cancelled handler that never returns loses its heavy slot after abortGraceMs and its late effects never land", async () => {
  const logs: string[] = [];
  await withSystem([stuck], async (system) => {
    const hung = actorRef<Msg>("stuck", "a");
    const other = actorRef<Msg>("stuck", "b");
    await system.send(hung, { type: "hang" });
    await eventually(() => release ?? undefined);
    // The only heavy slot is held: other work waits.
    await system.send(other, { type: "work" });
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(await system.getState(other), null);
    await system.cancel(hung);
    await eventually(
      () =>
        system.getState<{ worked: number }>(other).then((s) =>
          s?.worked === 1 || undefined
        ),
      10_000,
      "the other actor's heavy step",
    );
    assert(
      logs.some((l) =>
        /stuck\/a: the handler of "hang" ignored its abort/.test(l)
      ),
      logs.join("\n"),
    );
    // The abandoned handler returns at last: its ctx is sealed, nothing lands.
    release?.();
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(await system.getState(hung), null);
  }, { maxHeavy: 1, abortGraceMs: 200, logger: (l) => logs.push(l) });
});
