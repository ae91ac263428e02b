import assert from "node:assert/strict";
import test from "node:test";
import { daysInMonth, isLeapYear } from "./calendar.js";

test("century rule", () => {
  assert.equal(isLeapYear(1900), false);
  assert.equal(isLeapYear(2000), true);
  assert.equal(isLeapYear(2100), false);
  assert.equal(isLeapYear(2400), true);
  assert.equal(isLeapYear(1996), true);
  assert.equal(isLeapYear(2019), false);
});

test("February across the rules", () => {
  assert.equal(daysInMonth(1900, 2), 28);
  assert.equal(daysInMonth(2000, 2), 29);
  assert.equal(daysInMonth(2023, 2), 28);
  assert.throws(() => daysInMonth(2024, 13), RangeError);
});
