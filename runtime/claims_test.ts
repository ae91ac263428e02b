import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { counter } from "../tests/runtime_fixtures/actors.ts";
import { RuntimeKeys } from "./keys.ts";
import { ActorSystem } from "./system.ts";
import { eventually, tempKv, testLogKey } from "./testing.ts";
import { refTo } from "./ref.ts";

Deno.test("a takeover does not start from a record the old holder changed after it was read", async () => {
  const t = await tempKv();
  const keys = new RuntimeKeys(["rt"]);
  const ref = refTo(counter, "c");
  try {
    // A worker whose heartbeat lapsed holds the actor, at state next=1 ...
    await t.kv.atomic()
      .set(keys.worker("stalled"), { expiresAt: Date.now() - 1000 })
      .set(keys.lease(ref), { worker: "stalled", at: Date.now() - 5000 })
      .set(keys.actor(ref), {
        state: { next: 1, count: 1, violations: 0 },
        owner: ref,
      })
      .commit();
    // ... and mail for seq 2 waits (seq 1 is the one it is still handling).
    const sender = new ActorSystem(t.kv, { logKey: testLogKey });
    await sender.send(ref, { type: "add", n: 2, seq: 2 });

    // The stalled worker's step for seq 1 lands right after the new worker
    // has read the actor for its claim.
    let injected = false;
    const kv = new Proxy(t.kv, {
      get(target, prop) {
        if (prop === "getMany") {
          return async (list: Deno.KvKey[]) => {
            const entries = await target.getMany(list);
            const readsActor = list.some((k) =>
              JSON.stringify(k) === JSON.stringify(keys.actor(ref))
            );
            if (readsActor && !injected) {
              injected = true;
              await target.set(keys.actor(ref), {
                state: { next: 2, count: 2, violations: 0 },
                owner: ref,
              });
            }
            return entries;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const system = new ActorSystem(kv, {
      logKey: testLogKey,
      workerId: "fresh",
      pollMs: 20,
    });
    system.register(counter);
    await system.start();
    try {
      const state = await eventually(async () => {
        const s = await system.getState<{ count: number }>(ref);
        return s && s.count >= 3 ? s : undefined;
      });
      assertEquals(injected, true);
      // Built on the stalled worker's last step: nothing lost, in order.
      assertEquals(state, { next: 3, count: 3, violations: 0 });
    } finally {
      await system.stop();
    }
  } finally {
    await t.cleanup();
  }
});

const turnMessages = z.object({ type: z.literal("turn") });
type TurnMsg = z.infer<typeof turnMessages>;

/** Wraps a KV listing so it pauses after its last item until `hold` resolves. */
function pausedAtEnd<T>(
  inner: Deno.KvListIterator<T>,
  hold: () => Promise<void>,
): Deno.KvListIterator<T> {
  const paused = {
    get cursor() {
      return inner.cursor;
    },
    async next() {
      const result = await inner.next();
      if (result.done) await hold();
      return result;
    },
    [Symbol.asyncIterator]() {
      return paused;
    },
  };
  return paused as unknown as Deno.KvListIterator<T>;
}

Deno.test("a scan that listed an actor before this worker claimed it does not claim it again while its handler runs", async () => {
  const t = await tempKv();
  const keys = new RuntimeKeys(["rt"]);
  const running = new Map<string, number>();
  let overlap = 0;
  let handled = 0;
  const firstHandler = Promise.withResolvers<void>();
  const releaseHandler = Promise.withResolvers<void>();
  const turn = defineActor<null, TurnMsg>({
    type: "turn",
    messages: turnMessages,
    initialState: () => null,
    handlers: {
      async turn(ctx) {
        const now = (running.get(ctx.self.id) ?? 0) + 1;
        running.set(ctx.self.id, now);
        overlap = Math.max(overlap, now);
        try {
          if (handled === 0) {
            firstHandler.resolve();
            await releaseHandler.promise;
          }
        } finally {
          handled++;
          running.set(ctx.self.id, (running.get(ctx.self.id) ?? 1) - 1);
        }
      },
    },
  });
  const ref = refTo(turn, "t1");
  // The first scan of the pending index pauses once it has listed everything.
  const listed = Promise.withResolvers<void>();
  const resumeScan = Promise.withResolvers<void>();
  let pauseNext = true;
  const kv = new Proxy(t.kv, {
    get(target, prop) {
      if (prop === "list") {
        return (
          selector: Deno.KvListSelector,
          options?: Deno.KvListOptions,
        ) => {
          const inner = target.list(selector, options);
          const prefix = "prefix" in selector ? selector.prefix : null;
          if (
            !pauseNext ||
            JSON.stringify(prefix) !== JSON.stringify(keys.pendingIndex())
          ) return inner;
          pauseNext = false;
          return pausedAtEnd(inner, () => {
            listed.resolve();
            return resumeScan.promise;
          });
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const worker = new ActorSystem(kv, {
    logKey: testLogKey,
    queue: false,
    pollMs: 20,
  });
  worker.register(turn);
  try {
    // Mail another process wrote: the start-up scan lists the actor as unowned ...
    await new ActorSystem(t.kv, { logKey: testLogKey }).send(ref, {
      type: "turn",
    });
    const starting = worker.start();
    await listed.promise;
    // ... and before that scan claims it, this worker's own send claims it
    // and its handler starts.
    await worker.send(ref, { type: "turn" });
    await firstHandler.promise;
    resumeScan.resolve();
    await starting;
    // Several more scans while the handler is still running.
    await new Promise((r) => setTimeout(r, 200));
    releaseHandler.resolve();
    await eventually(() => handled >= 2 ? true : undefined);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals({ overlap, handled }, { overlap: 1, handled: 2 });
  } finally {
    await worker.stop();
    await t.cleanup();
  }
});
