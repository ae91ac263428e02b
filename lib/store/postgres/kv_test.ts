/** What only the Postgres backend has to show: several handles (processes) on one database. */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { closeKv, openKv } from "../kv.ts";
import { parseKvUrl } from "./driver.ts";
import { redactUrl } from "../../redact.ts";
import { freshSchemaUrl } from "./testing.ts";

async function withHandles(
  n: number,
  fn: (handles: Deno.Kv[], url: string) => Promise<void>,
): Promise<void> {
  const schema = await freshSchemaUrl("pgkv");
  const handles: Deno.Kv[] = [];
  try {
    for (let i = 0; i < n; i++) handles.push(await openKv(schema.url));
    await fn(handles, schema.url);
  } finally {
    for (const kv of handles) await closeKv(kv);
    await schema.drop();
  }
}

Deno.test("Postgres KV: concurrent check-and-set from several handles loses no update", async () => {
  await withHandles(3, async (handles) => {
    const increment = async (kv: Deno.Kv) => {
      for (;;) {
        const cur = await kv.get<number>(["counter"]);
        const res = await kv.atomic().check(cur).set(
          ["counter"],
          (cur.value ?? 0) + 1,
        ).commit();
        if (res.ok) return res.versionstamp;
      }
    };
    const stamps = await Promise.all(
      Array.from({ length: 60 }, (_, i) => increment(handles[i % 3]!)),
    );
    assertEquals((await handles[0]!.get(["counter"])).value, 60);
    assertEquals(
      new Set(stamps).size,
      60,
      "every commit has its own versionstamp",
    );
  });
});

Deno.test("Postgres KV: watch sees another handle's commit within milliseconds", async () => {
  await withHandles(2, async ([a, b]) => {
    const reader = a!.watch([["wake"]]).getReader();
    assertEquals((await reader.read()).value![0]!.versionstamp, null);
    const started = performance.now();
    await b!.atomic().sum(["wake"], 1n).commit();
    const next = await reader.read();
    const ms = performance.now() - started;
    assertEquals((next.value![0]!.value as Deno.KvU64).value, 1n);
    // Far below the 1 s polling backstop: the notification woke it.
    assert(ms < 500, `watch took ${ms} ms`);
    await reader.cancel();
  });
});

Deno.test("Postgres KV: each queued message goes to one listener across handles", async () => {
  await withHandles(3, async (handles) => {
    const seen: number[] = [];
    const all = Promise.withResolvers<void>();
    for (const kv of handles) {
      void kv.listenQueue((n: number) => {
        seen.push(n);
        if (seen.length === 40) all.resolve();
      });
    }
    const op = handles[0]!.atomic();
    for (let i = 0; i < 40; i++) op.enqueue(i);
    assert((await op.commit()).ok);
    await all.promise;
    await new Promise((r) => setTimeout(r, 200));
    assertEquals([...seen].sort((x, y) => x - y), [...Array(40).keys()]);
  });
});

Deno.test("Postgres KV: migrations are idempotent across opens", async () => {
  await withHandles(1, async ([kv], url) => {
    await kv!.set(["kept"], "value");
    const again = await openKv(url);
    assertEquals((await again.get(["kept"])).value, "value");
    await closeKv(again);
  });
});

Deno.test("parseKvUrl() reads schema and pool, and rejects bad ones naming the value", () => {
  const url = parseKvUrl(
    "postgres://u:secret@db:5432/aos?schema=aos_prod&pool=25&sslmode=require",
  );
  assertEquals(url.schema, "aos_prod");
  assertEquals(url.pool, 25);
  assertEquals(
    url.connection,
    "postgres://u:secret@db:5432/aos?sslmode=require",
  );
  assertEquals(parseKvUrl("postgresql://db/aos").schema, "kv");
  for (
    const [bad, message] of [
      ["postgres://db/aos?pool=0", /pool size "0"/],
      ["postgres://db/aos?schema=Bad-Name", /schema "Bad-Name"/],
    ] as const
  ) {
    let error: unknown;
    try {
      parseKvUrl(bad);
    } catch (e) {
      error = e;
    }
    assert(
      error instanceof TypeError && message.test(error.message),
      String(error),
    );
  }
  assertEquals(
    redactUrl("postgres://u:secret@db/aos"),
    "postgres://[REDACTED]@db/aos",
  );
});

Deno.test("openKv() on an unreachable Postgres fails naming the URL without its password", async () => {
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  let error: unknown;
  try {
    await openKv(`postgres://u:hunter2@127.0.0.1:${port}/aos`);
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error);
  assert(error.message.includes(`127.0.0.1:${port}`), error.message);
  assert(!error.message.includes("hunter2"), error.message);
});
