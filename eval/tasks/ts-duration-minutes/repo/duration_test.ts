import assert from "node:assert/strict";
import { formatDuration } from "./duration.ts";

Deno.test("formatDuration() shows minutes and seconds", () => {
  assert.equal(formatDuration(75), "1m 15s");
  assert.equal(formatDuration(185), "3m 05s");
  assert.equal(formatDuration(6), "6s");
});
