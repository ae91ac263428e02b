import assert from "node:assert/strict";
import test from "node:test";
import { fromRoman, toRoman } from "./roman.js";

test("fromRoman round-trips 1 to 3999", () => {
  for (let n = 1; n <= 3999; n++) assert.equal(fromRoman(toRoman(n)), n);
});

test("fromRoman refuses what toRoman never writes", () => {
  for (const bad of ["", "IIII", "VV", "IC", "XM", "iv", "MMMM", "ABC", "XIV "]) {
    assert.throws(() => fromRoman(bad), RangeError, JSON.stringify(bad));
  }
});
