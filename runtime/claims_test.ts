import { deepStrictEqual as assertEquals } from "node:assert/strict";
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
