import assert from "node:assert/strict";
import test from "node:test";
import { agenda, filterTodos, parseTodos, sortTodos } from "../src/index.js";

test("dueBefore is strict, leaves out undated todos and combines with done", () => {
  const todos = parseTodos([
    "[ ] a due:2026-01-01",
    "[ ] b due:2026-01-02",
    "[x] c due:2025-12-31",
    "[ ] d",
  ].join("\n"));
  assert.deepEqual(filterTodos(todos, { dueBefore: "2026-01-02" }).map((t) => t.text), ["a", "c"]);
  assert.deepEqual(filterTodos(todos, { dueBefore: "2026-01-02", done: false }).map((t) => t.text), ["a"]);
  assert.equal(filterTodos(todos, {}).length, 4);
});

test("sortTodos orders by priority, due date, text and keeps its input", () => {
  const todos = parseTodos([
    "[ ] z",
    "[ ] (B) y due:2026-02-01",
    "[ ] (B) x",
    "[ ] (B) w due:2026-01-01",
    "[ ] (A) v",
    "[ ] b due:2026-01-01",
    "[ ] a due:2026-01-01",
  ].join("\n"));
  const before = todos.map((t) => t.text);
  assert.deepEqual(sortTodos(todos).map((t) => t.text), ["v", "w", "y", "x", "a", "b", "z"]);
  assert.deepEqual(todos.map((t) => t.text), before);
});

test("agenda keeps open todos due before the day", () => {
  const text = "[ ] (C) late due:2026-05-01\n[x] done due:2026-01-01\n[ ] (A) soon due:2026-01-03\nnot a todo";
  assert.equal(agenda(text, { before: "2026-06-01" }), "2026-01-03 soon\n2026-05-01 late");
  assert.equal(agenda(text, { before: "2026-01-01" }), "");
});
