import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { SessionStore, sha256Hex } from "./sessions.ts";
import { tempKv } from "./testing.ts";

Deno.test("SessionStore opens, finds, expires and closes sessions; KV holds only the id's hash", async () => {
  const t = await tempKv();
  try {
    const sessions = new SessionStore(t.kv);
    const now = Date.now();
    const { id, session } = await sessions.open("digest", 60_000, now);
    assert(/^[A-Za-z0-9_-]{43}$/.test(id));
    assertEquals(await sessions.find(id, now + 1000), session);
    assertEquals(await sessions.find(id, now + 60_000), null, "expired");
    const stored = await Array.fromAsync(t.kv.list({ prefix: ["aos"] }));
    assertEquals(stored.map((e) => e.key), [[
      "aos",
      "ui_session",
      await sha256Hex(id),
    ]]);
    assert(!JSON.stringify(stored).includes(id));
    assertEquals(await sessions.find("not a session id"), null);
    assertEquals(await sessions.find(`${id.slice(0, -1)}x`, now), null);
    await sessions.close(id);
    assertEquals(await sessions.find(id, now), null);
    await sessions.close("garbage");
  } finally {
    await t.close();
  }
});
