import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { keyGroups } from "./key_groups.ts";
import { tempKv } from "./testing.ts";

Deno.test("keyGroups() yields each group under a root once, in key order, reading one entry per group", async () => {
  const t = await tempKv();
  try {
    for (
      const [run, gen, n] of [["r1", "g1", 3], ["r1", "g2", 2], [
        "r2",
        "g1",
        50,
      ]] as const
    ) {
      for (let i = 0; i < n; i++) await t.kv.set(["root", run, gen, i], i);
    }
    // Another root and a sibling id that extends "r1" stay apart.
    await t.kv.set(["rooted", "x", "y", 0], 0);
    await t.kv.set(["root", "r1x", "g", 0], 0);
    assertEquals(await Array.fromAsync(keyGroups(t.kv, ["root"], 1)), [
      ["r1"],
      ["r1x"],
      ["r2"],
    ]);
    assertEquals(await Array.fromAsync(keyGroups(t.kv, ["root"], 2)), [
      ["r1", "g1"],
      ["r1", "g2"],
      ["r1x", "g"],
      ["r2", "g1"],
    ]);
    assertEquals(await Array.fromAsync(keyGroups(t.kv, ["none"], 1)), []);
    // A key this store does not write (a number where an id stands) ends
    // the walk there: "r0" sorts first, so nothing is yielded.
    await t.kv.set(["root", "r0", 7, 0], 0);
    assertEquals(await Array.fromAsync(keyGroups(t.kv, ["root"], 2)), []);
  } finally {
    await t.close();
  }
});
