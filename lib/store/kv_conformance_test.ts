/**
 * One KV conformance suite, two backends: every scenario runs on Deno's own
 * KV and on the Postgres backend, must pass its assertions on each, and must
 * give both the same observable result (versionstamps aside: only their order
 * is compared).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { backends, withBackend } from "./testing.ts";

type Scenario = (kv: Deno.Kv) => Promise<unknown>;

/** Registers a test that runs `scenario` on both backends and compares results. */
function conformance(name: string, scenario: Scenario): void {
  Deno.test(`KV conformance: ${name}`, async (t) => {
    const results: unknown[] = [];
    for (const backend of backends) {
      await t.step(backend.name, async () => {
        results.push(await withBackend(backend, (kv) => scenario(kv)));
      });
    }
    assertEquals(
      results[1],
      results[0],
      `${backends[1]!.name} disagrees with ${backends[0]!.name}`,
    );
  });
}

/** The message of what `promise` rejects with, with its class name. */
async function failure(
  promise: Promise<unknown> | (() => unknown),
): Promise<string> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
  throw new Error("Expected a failure, got success");
}

async function keysOf(
  iter: Deno.KvListIterator<unknown>,
): Promise<Deno.KvKey[]> {
  const out: Deno.KvKey[] = [];
  for await (const e of iter) out.push(e.key);
  return out;
}

const MIXED_PARTS: Deno.KvKeyPart[] = [
  true,
  false,
  1,
  -1,
  0,
  -0.5,
  1.5,
  Infinity,
  -Infinity,
  NaN,
  1n,
  -5n,
  0n,
  2n ** 70n,
  -(2n ** 70n),
  2n ** 63n,
  "s",
  "",
  "\u0000x",
  "a\u0000",
  "é",
  "z",
  new Uint8Array([1]),
  new Uint8Array([]),
  new Uint8Array([0, 255]),
  new Uint8Array([1, 0]),
];

conformance(
  "list orders keys across types: bytes < string < bigint < number < boolean",
  async (kv) => {
    for (const part of MIXED_PARTS) await kv.set(["mix", part], 1);
    await kv.set(["mix"], "the prefix itself is not listed");
    await kv.set(["mixa"], "nor is a sibling");
    const forward = await keysOf(kv.list({ prefix: ["mix"] }));
    const backward = await keysOf(
      kv.list({ prefix: ["mix"] }, { reverse: true }),
    );
    assertEquals(backward, [...forward].reverse());
    assertEquals(forward.length, MIXED_PARTS.length);
    const types: string[] = forward.map(([, p]) =>
      p instanceof Uint8Array ? "bytes" : typeof p
    );
    const firstOf = (t: string) => types.indexOf(t);
    assert(
      firstOf("bytes") < firstOf("string") &&
        firstOf("string") < firstOf("bigint"),
    );
    assert(
      firstOf("bigint") < firstOf("number") &&
        firstOf("number") < firstOf("boolean"),
    );
    return forward;
  },
);

conformance(
  "get, getMany and versionstamps that grow with every commit",
  async (kv) => {
    const a = await kv.set(["vs", "a"], "A");
    const b = await kv.atomic().set(["vs", "b"], "B").set(["vs", "c"], "C")
      .commit();
    assert(a.ok && b.ok);
    assert(b.versionstamp > a.versionstamp);
    assert(/^[0-9a-f]{20}$/.test(a.versionstamp));
    const [ea, eb, ec, missing] = await kv.getMany([["vs", "a"], ["vs", "b"], [
      "vs",
      "c",
    ], ["vs", "x"]]);
    assertEquals(ea!.versionstamp, a.versionstamp);
    assertEquals(eb!.versionstamp, b.versionstamp);
    assertEquals(ec!.versionstamp, b.versionstamp);
    assertEquals(missing, {
      key: ["vs", "x"],
      value: null,
      versionstamp: null,
    });
    await kv.delete(["vs", "a"]);
    assertEquals((await kv.get(["vs", "a"])).versionstamp, null);
    const later = await kv.set(["vs", "a"], "again");
    assert(later.versionstamp > b.versionstamp);
    return [ea!.value, eb!.value, ec!.value, (await kv.get(["vs", "a"])).value];
  },
);

conformance(
  "values round-trip as structured clones, bytes and KvU64",
  async (kv) => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const values: unknown[] = [
      "text",
      42,
      -0,
      NaN,
      12345678901234567890n,
      true,
      null,
      undefined,
      [1, [2, "x"]],
      {
        nested: {
          map: new Map<unknown, unknown>([[1, "one"], ["k", new Set([1, 2])]]),
        },
      },
      new Date(1_700_000_000_000),
      /re+/gi,
      new Uint16Array([1, 65535]),
      new Float64Array([0.5]),
      new Uint8Array([0, 1, 255]),
      new Deno.KvU64(18446744073709551615n),
      cyclic,
    ];
    const out: unknown[] = [];
    for (const [i, value] of values.entries()) {
      await kv.set(["val", i], value);
      const got = (await kv.get(["val", i])).value;
      if (value instanceof Deno.KvU64) {
        assert(got instanceof Deno.KvU64);
        assertEquals(got.value, value.value);
        out.push(`u64:${got.value}`);
      } else if (value === cyclic) {
        const c = got as Record<string, unknown>;
        assert(c.self === c, "cycle kept");
        out.push("cycle");
      } else {
        assertEquals(got, value);
        out.push(got);
      }
    }
    const bytes = (await kv.get(["val", 14])).value;
    assertEquals(Object.getPrototypeOf(bytes), Uint8Array.prototype);
    out.push(await failure(kv.set(["val", "fn"], () => 1)));
    out.push(await failure(kv.set(["val", "sym"], Symbol("s"))));
    return out;
  },
);

conformance("atomic checks: a failed check commits nothing", async (kv) => {
  const first = await kv.set(["acct", "a"], 10);
  assert(first.ok);
  const staleCheck = await kv.atomic()
    .check({ key: ["acct", "a"], versionstamp: null })
    .set(["acct", "b"], 1).sum(["acct", "n"], 1n).enqueue("never").commit();
  const absentWrong = await kv.atomic()
    .check({ key: ["acct", "missing"], versionstamp: first.versionstamp })
    .set(["acct", "b"], 2).commit();
  assertEquals(staleCheck, { ok: false });
  assertEquals(absentWrong, { ok: false });
  assertEquals((await kv.get(["acct", "b"])).versionstamp, null);
  assertEquals((await kv.get(["acct", "n"])).versionstamp, null);
  const good = await kv.atomic()
    .check({ key: ["acct", "a"], versionstamp: first.versionstamp })
    .check({ key: ["acct", "missing"], versionstamp: null })
    .set(["acct", "a"], 20).commit();
  assert(good.ok);
  const again = await kv.atomic()
    .check({ key: ["acct", "a"], versionstamp: first.versionstamp })
    .set(["acct", "a"], 30).commit();
  assertEquals(again, { ok: false });
  return [
    (await kv.get(["acct", "a"])).value,
    await failure(
      kv.atomic().check({ key: ["acct", "a"], versionstamp: "nope" }).commit(),
    ),
  ];
});

conformance("one operation applies its mutations in order", async (kv) => {
  await kv.atomic().set(["ord", "x"], 1).delete(["ord", "x"]).commit();
  await kv.atomic().delete(["ord", "y"]).set(["ord", "y"], 2).commit();
  await kv.atomic().sum(["ord", "s"], 1n).sum(["ord", "s"], 2n).commit();
  await kv.atomic().set(["ord", "u"], new Deno.KvU64(5n)).sum(["ord", "u"], 10n)
    .commit();
  await kv.set(["ord", "m"], new Deno.KvU64(10n));
  await kv.atomic().sum(["ord", "m"], 5n).min(["ord", "m"], 12n).max([
    "ord",
    "m",
  ], 11n).commit();
  const read = async (k: string) => {
    const v = (await kv.get(["ord", k])).value;
    return v instanceof Deno.KvU64 ? `u64:${v.value}` : v;
  };
  return [
    await read("x"),
    await read("y"),
    await read("s"),
    await read("u"),
    await read("m"),
  ];
});

conformance(
  "sum wraps at 2^64, min and max keep the extreme, non-U64 values refuse",
  async (kv) => {
    await kv.set(["n", "big"], new Deno.KvU64(2n ** 64n - 2n));
    await kv.atomic().sum(["n", "big"], 5n).commit();
    await kv.atomic().sum(["n", "fresh"], 7n).commit();
    await kv.atomic().min(["n", "lo"], 9n).commit();
    await kv.atomic().min(["n", "lo"], 4n).min(["n", "lo"], 6n).commit();
    await kv.atomic().max(["n", "hi"], 3n).commit();
    await kv.atomic().max(["n", "hi"], 8n).commit();
    await kv.set(["n", "text"], "not a number");
    const refused = await failure(
      kv.atomic().sum(["n", "text"], 1n).set(["n", "side"], 1).commit(),
    );
    assertEquals((await kv.get(["n", "side"])).versionstamp, null);
    const u = async (k: string) =>
      ((await kv.get<Deno.KvU64>(["n", k])).value!).value;
    return [
      await u("big"),
      await u("fresh"),
      await u("lo"),
      await u("hi"),
      refused,
      await failure(() => kv.atomic().sum(["n", "x"], 2n ** 64n)),
      await failure(() => kv.atomic().sum(["n", "x"], -1n)),
    ];
  },
);

conformance(
  "list cursors resume forward and backward; the last cursor is empty",
  async (kv) => {
    for (let i = 0; i < 25; i++) await kv.set(["page", i], i);
    const pages: number[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const iter = kv.list<number>({ prefix: ["page"] }, {
        limit: 10,
        ...(cursor ? { cursor } : {}),
      });
      const page: number[] = [];
      for await (const e of iter) page.push(e.value);
      pages.push(page);
      cursor = iter.cursor;
      if (page.length < 10) break;
    }
    assertEquals(pages.flat(), [...Array(25).keys()]);
    const rev = kv.list<number>({ prefix: ["page"] }, {
      limit: 3,
      reverse: true,
    });
    const top: number[] = [];
    for await (const e of rev) top.push(e.value);
    const rest: number[] = [];
    for await (
      const e of kv.list<number>({ prefix: ["page"] }, {
        reverse: true,
        cursor: rev.cursor,
      })
    ) {
      rest.push(e.value);
    }
    const all = kv.list({ prefix: ["page"] });
    for await (const _ of all) { /* drain */ }
    const small = kv.list({ prefix: ["page"] }, { batchSize: 4 });
    let count = 0;
    for await (const _ of small) count++;
    return {
      pages: pages.map((p) => p.length),
      top,
      rest: rest.length,
      restFirst: rest[0],
      last: all.cursor,
      count,
      badCursor: await failure(
        keysOf(kv.list({ prefix: ["page"] }, { cursor: "!!!" })),
      ),
      early: await failure(() => kv.list({ prefix: ["page"] }).cursor),
    };
  },
);

conformance(
  "list selectors: prefix with start or end, start and end",
  async (kv) => {
    for (const k of ["a", "b", "c", "d", "e"]) await kv.set(["sel", k], k);
    await kv.set(["other", "x"], 1);
    const values = async (iter: Deno.KvListIterator<unknown>) => {
      const out: unknown[] = [];
      for await (const e of iter) out.push(e.value);
      return out;
    };
    return [
      await values(kv.list({ prefix: ["sel"], start: ["sel", "c"] })),
      await values(kv.list({ prefix: ["sel"], end: ["sel", "c"] })),
      await values(kv.list({ start: ["sel", "b"], end: ["sel", "d"] })),
      await values(
        kv.list({ start: ["sel", "b"], end: ["sel", "d"] }, {
          reverse: true,
          limit: 1,
        }),
      ),
      await values(kv.list({ prefix: ["sel"] }, { limit: 2, reverse: true })),
      await values(kv.list({ prefix: ["nothing"] })),
      await failure(keysOf(kv.list({ prefix: ["sel"], start: ["other"] }))),
      await failure(keysOf(kv.list({ prefix: ["sel"], end: ["other"] }))),
      await failure(
        keysOf(kv.list({ start: ["sel", "d"], end: ["sel", "b"] })),
      ),
    ];
  },
);

conformance(
  "limits: Deno KV's errors for reads and writes over its limits",
  async (kv) => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ["lim", i] as Deno.KvKey);
    const opWith = (
      n: number,
      add: (op: Deno.AtomicOperation, i: number) => void,
    ) => {
      const op = kv.atomic();
      for (let i = 0; i < n; i++) add(op, i);
      return op.commit();
    };
    const ok1000 = await opWith(1000, (op, i) => op.set(["lim", i], i));
    assert(ok1000.ok);
    const ok13 = await opWith(
      13,
      (op, i) => op.set(["big", i], new Uint8Array(60_000)),
    );
    assert(ok13.ok);
    return [
      await failure(kv.getMany(many(11))),
      await failure(
        opWith(
          101,
          (op, i) => op.check({ key: ["lim", i], versionstamp: null }),
        ),
      ),
      await failure(opWith(1001, (op, i) => op.set(["lim", i], i))),
      await failure(
        opWith(
          1001,
          (op, i) => i === 0 ? op.enqueue(i) : op.set(["lim", i], i),
        ),
      ),
      await failure(
        opWith(14, (op, i) => op.set(["big", i], new Uint8Array(60_000))),
      ),
      await failure(opWith(50, (op, i) => op.set(["k".repeat(2000), i], 1))),
      await failure(kv.set(["v"], new Uint8Array(65_537))),
      (await kv.set(["v"], new Uint8Array(65_536))).ok,
      await failure(kv.set(["v"], "x".repeat(65_536))),
      await failure(kv.set(["x".repeat(2049)], 1)),
      (await kv.set(["x".repeat(2040)], 1)).ok,
      await failure(kv.set([], 1)),
      await failure(kv.set([{} as unknown as string], 1)),
      await failure(() => keysOf(kv.list({ prefix: ["lim"] }, { limit: 0 }))),
      await failure(() => keysOf(kv.list({ prefix: ["lim"] }, { limit: 1.5 }))),
      await failure(keysOf(kv.list({ prefix: ["lim"] }, { batchSize: 1001 }))),
      await failure(() => kv.atomic().enqueue(1, { delay: -1 }).commit()),
      await failure(() =>
        kv.atomic().enqueue(1, { delay: 31 * 86_400_000 }).commit()
      ),
      await failure(() => kv.set(["e"], 1, { expireIn: -1 })),
      await failure(() => kv.set(["e"], 1, { expireIn: 1.5 })),
      await failure(() => kv.watch(many(11))),
    ];
  },
);

conformance(
  "watch: the current entries first, then each change",
  async (kv) => {
    await kv.set(["w", "a"], 1);
    const reader = kv.watch([["w", "a"], ["w", "b"]]).getReader();
    const seen: unknown[][] = [];
    const first = await reader.read();
    seen.push(first.value!.map((e) => e.value));
    await kv.set(["w", "b"], 2);
    for (;;) {
      const next = await reader.read();
      const values = next.value!.map((e) => e.value);
      if (values[1] === 2) {
        seen.push(values);
        break;
      }
    }
    await kv.atomic().set(["w", "a"], 3).delete(["w", "b"]).commit();
    for (;;) {
      const next = await reader.read();
      const values = next.value!.map((e) => e.value);
      if (values[0] === 3 && values[1] === null) {
        seen.push(values);
        break;
      }
    }
    await reader.cancel();
    return seen;
  },
);

conformance(
  "queues: delayed delivery, redelivery after a throw, keysIfUndelivered",
  async (kv) => {
    const got: unknown[] = [];
    let throws = 1;
    const done = Promise.withResolvers<void>();
    const started = Date.now();
    let delayedAt = 0;
    const listening = kv.listenQueue((msg: { kind: string }) => {
      if (msg.kind === "flaky" && throws-- > 0) {
        throw new Error("first delivery fails");
      }
      if (msg.kind === "doomed") throw new Error("always fails");
      if (msg.kind === "delayed") delayedAt = Date.now() - started;
      got.push(msg.kind);
      if (got.length === 3) done.resolve();
    });
    await kv.enqueue({ kind: "now" });
    await kv.enqueue({ kind: "delayed" }, { delay: 300 });
    await kv.enqueue({ kind: "flaky" }, { backoffSchedule: [20] });
    await kv.enqueue({ kind: "doomed" }, {
      backoffSchedule: [10],
      keysIfUndelivered: [["undelivered", 1]],
    });
    await done.promise;
    for (
      let i = 0;
      i < 300 && (await kv.get(["undelivered", 1])).value === null;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(delayedAt >= 290, `delayed message came after ${delayedAt} ms`);
    const undelivered = (await kv.get(["undelivered", 1])).value;
    void listening;
    return { got: [...got].sort(), undelivered };
  },
);
