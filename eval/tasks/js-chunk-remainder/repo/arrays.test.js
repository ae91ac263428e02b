import assert from "node:assert/strict";
import test from "node:test";
import { chunk, unique } from "./arrays.js";

test("chunk keeps the shorter last chunk", () => {
  assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
});

test("unique keeps first occurrences", () => {
  assert.deepEqual(unique([3, 1, 3, 2, 1]), [3, 1, 2]);
});
