/**
 * Expiry on both backends: a key set with `expireIn` reads back at once and
 * is gone later. Deno KV deletes expired keys in a sweep about once a
 * minute, so this file waits up to 75 s (it sits apart so the rest of the
 * suite does not wait with it); the Postgres backend hides them once due.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { backends, withBackend } from "./testing.ts";

for (const backend of backends) {
  Deno.test(`KV conformance: ${backend.name}: expireIn keys vanish, others stay`, async () => {
    await withBackend(backend, async (kv) => {
      await kv.set(["exp", "short"], "soon gone", { expireIn: 3000 });
      await kv.atomic().set(["exp", "atomic"], 1, { expireIn: 3000 }).commit();
      await kv.set(["exp", "kept"], "stays");
      assertEquals((await kv.get(["exp", "short"])).value, "soon gone");
      const deadline = Date.now() + 75_000;
      for (;;) {
        const [short, atomic] = await kv.getMany([["exp", "short"], [
          "exp",
          "atomic",
        ]]);
        if (short!.versionstamp === null && atomic!.versionstamp === null) {
          break;
        }
        assert(Date.now() < deadline, "expired keys still readable after 75 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      const listed = [];
      for await (const e of kv.list({ prefix: ["exp"] })) listed.push(e.key);
      assertEquals(listed, [["exp", "kept"]]);
      // An expired key counts as absent for checks.
      const fresh = await kv.atomic().check({
        key: ["exp", "short"],
        versionstamp: null,
      })
        .set(["exp", "short"], "again").commit();
      assert(fresh.ok);
    });
  });
}
