import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { isRunId, newRunId, runIdTime } from "./ids.ts";

Deno.test("newRunId() returns a UUIDv7 with version and variant bits", () => {
  const id = newRunId();
  assert(isRunId(id), id);
  assertEquals(id[14], "7");
  assert("89ab".includes(id[19]!), id);
});

Deno.test("newRunId() encodes the millisecond timestamp", () => {
  const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  assertEquals(runIdTime(newRunId(ms + 1_000_000)), ms + 1_000_000);
});

Deno.test("newRunId() stays sorted within one millisecond and across clock steps back", () => {
  const base = Date.UTC(2031, 5, 1);
  const ids: string[] = [];
  for (let i = 0; i < 10_000; i++) ids.push(newRunId(base));
  ids.push(newRunId(base - 5_000));
  ids.push(newRunId(base + 10_000));
  const sorted = [...ids].sort();
  assertEquals(ids, sorted);
  assertEquals(new Set(ids).size, ids.length);
  assert(ids.every(isRunId));
});

Deno.test("isRunId() rejects other strings", () => {
  assert(!isRunId("7050d927-c0e3-4381-9809-f7b9e642c5a3"));
  assert(!isRunId("not-an-id"));
  assert(!isRunId(newRunId().toUpperCase()));
});
