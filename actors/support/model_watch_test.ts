import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { keepHeartbeat } from "./model_watch.ts";

Deno.test("keepHeartbeat() thins a long call's heartbeats to about one a minute", () => {
  const kept = Array.from({ length: 60 }, (_, i) => i + 1).filter(
    keepHeartbeat,
  );
  assertEquals(kept, [
    1,
    2,
    3,
    4,
    6,
    8,
    10,
    12,
    18,
    24,
    30,
    36,
    42,
    48,
    54,
    60,
  ]);
});
