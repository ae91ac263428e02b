import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { withLock } from "./lock.ts";

Deno.test("withLock() runs calls with one key one after another, in order", async () => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const first = withLock("k", async () => {
    log.push("first start");
    await gate;
    log.push("first end");
  });
  const second = withLock("k", () => {
    log.push("second");
    return Promise.resolve();
  });
  // Every queued microtask runs before a timer: the second call had its chance to start.
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(log, ["first start"]);
  release();
  await Promise.all([first, second]);
  assertEquals(log, ["first start", "first end", "second"]);
});

Deno.test("withLock() does not hold other keys, and a failed call does not block the next", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const held = withLock("a", () => gate);
  assertEquals(await withLock("b", () => Promise.resolve(2)), 2);
  const failing = withLock("a", () => Promise.reject(new Error("boom")));
  const after = withLock("a", () => Promise.resolve("after"));
  release();
  await held;
  await rejects(failing, /boom/);
  assertEquals(await after, "after");
});
