import assert from "node:assert/strict";
import test from "node:test";
import { agenda, filterTodos, parseTodos, sortTodos } from "../src/index.js";

const TEXT = [
  "[ ] (B) File taxes due:2026-04-15",
  "[x] (A) Pay rent due:2026-01-05",
  "[ ] Call mum",
  "[ ] (A) Renew passport due:2026-03-01",
].join("\n");

test("parseTodos", () => {
  const todos = parseTodos(TEXT);
  assert.equal(todos.length, 4);
  assert.deepEqual(todos[1], { done: true, priority: "A", text: "Pay rent", due: "2026-01-05" });
  assert.deepEqual(todos[2], { done: false, priority: null, text: "Call mum", due: null });
});

test("dueBefore", () => {
  const todos = parseTodos(TEXT);
  assert.deepEqual(filterTodos(todos, { dueBefore: "2026-03-02" }).map((t) => t.text), ["Pay rent", "Renew passport"]);
});

test("sortTodos and agenda", () => {
  assert.deepEqual(sortTodos(parseTodos(TEXT)).map((t) => t.text), ["Pay rent", "Renew passport", "File taxes", "Call mum"]);
  assert.equal(agenda(TEXT, { before: "2026-12-31" }), "2026-03-01 Renew passport\n2026-04-15 File taxes");
});
