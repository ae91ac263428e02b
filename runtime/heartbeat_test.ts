import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "./define.ts";
import { RuntimeKeys } from "./keys.ts";
import { refTo } from "./ref.ts";
import { ActorSystem } from "./system.ts";
import { eventually, tempKv, testLogKey } from "./testing.ts";

Deno.test("a slow lease check does not hold back the heartbeat: a live worker's running actor is not taken over", async () => {
  const t = await tempKv();
  const keys = new RuntimeKeys(["rt"]);
  let executions = 0;
  const release = Promise.withResolvers<void>();
  const long = defineActor<null, { type: "work" }>({
    type: "long",
    messages: z.object({ type: z.literal("work") }),
    initialState: () => null,
    handlers: {
      async work() {
        executions++;
        await release.promise;
      },
    },
  });
  const ref = refTo(long, "l1");
  // Worker A's reads of leases stall (a KV busy with other writers), longer
  // than a lease lives.
  let stallLeaseReads = false;
  const slowKv = new Proxy(t.kv, {
    get(target, prop) {
      if (prop === "getMany") {
        return async (list: Deno.KvKey[]) => {
          const readsLease = list.some((k) =>
            JSON.stringify(k) === JSON.stringify(keys.lease(ref))
          );
          if (stallLeaseReads && readsLease) {
            await new Promise((r) => setTimeout(r, 1500));
          }
          return await target.getMany(list);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const options = { logKey: testLogKey, leaseMs: 300, pollMs: 20 };
  const a = new ActorSystem(slowKv, { ...options, workerId: "a" });
  const b = new ActorSystem(t.kv, { ...options, workerId: "b" });
  a.register(long);
  b.register(long);
  try {
    await a.start();
    await a.send(ref, { type: "work" });
    await eventually(() => executions === 1 ? true : undefined);
    stallLeaseReads = true;
    await b.start();
    // Well past A's lease: B must still see A alive.
    await new Promise((r) => setTimeout(r, 1200));
    assertEquals(executions, 1);
  } finally {
    release.resolve();
    stallLeaseReads = false;
    await b.stop();
    await a.stop();
    await t.cleanup();
  }
});
