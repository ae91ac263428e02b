import assert from "node:assert/strict";
import test from "node:test";
import { daysInMonth, isLeapYear } from "./calendar.js";

test("2024 is a leap year, 2023 is not", () => {
  assert.equal(isLeapYear(2024), true);
  assert.equal(isLeapYear(2023), false);
});

test("February 2024 has 29 days", () => {
  assert.equal(daysInMonth(2024, 2), 29);
  assert.equal(daysInMonth(2024, 4), 30);
});
