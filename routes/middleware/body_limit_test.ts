import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BodyBudget } from "./body_limit.ts";

Deno.test("BodyBudget: bodies wait for their share, first come first served", async () => {
  const budget = new BodyBudget(10);
  const order: string[] = [];
  const a = await budget.acquire(6);
  const b = await budget.acquire(4);
  assertEquals(budget.free, 0);
  const c = budget.acquire(5).then((release) => {
    order.push("c");
    return release;
  });
  // A small body behind a waiting one waits too (no overtaking, no starving).
  const d = budget.acquire(1).then((release) => {
    order.push("d");
    return release;
  });
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(order, []);
  a();
  a(); // releasing twice gives back once
  const releaseC = await c;
  const releaseD = await d;
  assertEquals(order, ["c", "d"]);
  assertEquals(budget.free, 0);
  b();
  releaseC();
  releaseD();
  assertEquals(budget.free, 10);
  // A body larger than the whole budget takes all of it, and still runs.
  const huge = await budget.acquire(50);
  assertEquals(budget.free, 0);
  huge();
  assertEquals(budget.free, 10);
});
