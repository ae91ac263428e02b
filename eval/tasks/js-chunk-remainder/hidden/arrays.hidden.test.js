import assert from "node:assert/strict";
import test from "node:test";
import { chunk } from "./arrays.js";

test("chunk edge cases", () => {
  assert.deepEqual(chunk([], 3), []);
  assert.deepEqual(chunk([1, 2, 3], 3), [[1, 2, 3]]);
  assert.deepEqual(chunk([1], 5), [[1]]);
  assert.deepEqual(chunk(["a", "b", "c", "d"], 1), [["a"], ["b"], ["c"], ["d"]]);
  assert.deepEqual(chunk([1, 2, 3, 4, 5, 6, 7], 3), [[1, 2, 3], [4, 5, 6], [7]]);
});

test("chunk refuses a bad size", () => {
  assert.throws(() => chunk([1], 0), RangeError);
  assert.throws(() => chunk([1], 1.5), RangeError);
});
