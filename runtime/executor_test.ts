import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { Core, resolveOptions } from "./core.ts";
import { defineActor } from "./define.ts";
import { Executor } from "./executor.ts";
import { refId } from "./keys.ts";
import type { MailEntry } from "./records.ts";
import { nextSeq } from "./seq.ts";
import { type AnyDefinition, insertEntry, newSlot } from "./slot.ts";
import { eventually, tempKv, testLogKey } from "./testing.ts";

Deno.test("Executor.drive() runs mail that arrives while a finished loop is still settling", async () => {
  const t = await tempKv();
  try {
    const handled: string[] = [];
    const def = defineActor<null, { type: "work" }>({
      type: "worker",
      messages: z.object({ type: z.literal("work") }),
      initialState: () => null,
      handlers: { work: (ctx) => void handled.push(ctx.messageId) },
    });
    const core = new Core(t.kv, resolveOptions({ logKey: testLogKey }));
    const executor = new Executor(core);
    core.hooks = {
      drive: (slot) => executor.drive(slot),
      claim: () => {},
      timerAdded: () => {},
    };
    core.running = true;
    const ref = { type: "worker", id: "w1" };
    const lease = await t.kv.set(core.keys.lease(ref), {
      worker: core.opts.workerId,
      at: Date.now(),
    });
    const slot = newSlot(
      ref,
      refId(ref),
      def as unknown as AnyDefinition,
      lease.versionstamp,
      null,
    );
    core.owned.set(slot.id, slot);
    const entry: MailEntry = {
      id: nextSeq(),
      kind: "msg",
      msg: { type: "work" },
      attempt: 1,
    };
    // The loop finds nothing to do and returns; mail delivered (as
    // Core.deliver does) before its promise has settled must still run.
    executor.drive(slot);
    queueMicrotask(() => {
      insertEntry(slot.queue, entry);
      executor.drive(slot);
    });
    await eventually(
      () => handled.length > 0 ? true : undefined,
      2000,
      "the delivered message to be handled",
    );
    assertEquals(handled, [entry.id]);
    await core.committer.drain();
  } finally {
    await t.cleanup();
  }
});
