import assert from "node:assert/strict";
import { formatDuration } from "./duration.ts";

Deno.test("formatDuration() at the boundaries", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59), "59s");
  assert.equal(formatDuration(60), "1m 00s");
  assert.equal(formatDuration(119.9), "1m 59s");
  assert.equal(formatDuration(3600), "1h 00m 00s");
  assert.equal(formatDuration(3725.5), "1h 02m 05s");
  assert.throws(() => formatDuration(-1), RangeError);
});
