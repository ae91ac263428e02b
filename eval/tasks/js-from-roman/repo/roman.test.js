import assert from "node:assert/strict";
import test from "node:test";
import { fromRoman, toRoman } from "./roman.js";

test("toRoman", () => {
  assert.equal(toRoman(1994), "MCMXCIV");
});

test("fromRoman reads canonical numerals", () => {
  assert.equal(fromRoman("XIV"), 14);
  assert.equal(fromRoman("MCMXCIV"), 1994);
});
