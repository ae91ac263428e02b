import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { until } from "./poll.ts";

Deno.test("until() returns the first value a probe gives and names what it waited for on timeout", async () => {
  let n = 0;
  assertEquals(await until("three", () => ++n >= 3 && n, 1000, 1), 3);
  await rejects(
    until("never", () => false, 30, 5),
    /Timed out waiting for never/,
  );
});

Deno.test("until() with probeTimeoutMs cuts a probe that hangs and tries again", async () => {
  let calls = 0;
  const value = await until(
    "the second probe",
    () => ++calls === 1 ? new Promise<string>(() => {}) : "answered",
    2000,
    1,
    50,
  );
  assertEquals([value, calls], ["answered", 2]);
  // Without it, a hanging probe holds the wait (cut here by the test).
  const held = await Promise.race([
    until("held", () => new Promise<boolean>(() => {}), 100, 1),
    new Promise<"still waiting">((r) =>
      setTimeout(() => r("still waiting"), 300)
    ),
  ]);
  assertEquals(held, "still waiting");
});
