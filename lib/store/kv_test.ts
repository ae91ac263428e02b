import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { openKv } from "./kv.ts";

Deno.test("openKv() creates the parent directory of a file path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_kv_" });
  try {
    const kv = await openKv(`${dir}/a/b/aos.kv`);
    await kv.set(["k"], 1);
    kv.close();
    const again = await openKv(`${dir}/a/b/aos.kv`);
    assertEquals((await again.get(["k"])).value, 1);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openKv() opens an in-memory store", async () => {
  const kv = await openKv(":memory:");
  await kv.set(["k"], "v");
  assertEquals((await kv.get(["k"])).value, "v");
  kv.close();
});
