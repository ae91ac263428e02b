import assert from "node:assert/strict";
import { LruCache } from "./lru.ts";

Deno.test("get refreshes, has does not", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1);
  cache.set("b", 2);
  assert.equal(cache.get("a"), 1);
  cache.set("c", 3);
  assert.deepEqual(cache.keys(), ["a", "c"]);
  assert.equal(cache.has("a"), true);
  cache.set("d", 4);
  assert.deepEqual(cache.keys(), ["c", "d"]);
});

Deno.test("set on an existing key updates without evicting", () => {
  const cache = new LruCache<string, number>(2);
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("a", 10);
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.keys(), ["b", "a"]);
  assert.equal(cache.get("a"), 10);
});

Deno.test("delete, size, capacity 1 and bad capacities", () => {
  const cache = new LruCache<number, string>(1);
  cache.set(1, "x");
  cache.set(2, "y");
  assert.deepEqual(cache.keys(), [2]);
  assert.equal(cache.delete(2), true);
  assert.equal(cache.delete(2), false);
  assert.equal(cache.size, 0);
  assert.equal(cache.get(3), undefined);
  assert.throws(() => new LruCache(0), RangeError);
  assert.throws(() => new LruCache(1.5), RangeError);
});
