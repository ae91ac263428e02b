import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { GroupCommitter } from "./group_commit.ts";
import { emptySpec } from "./records.ts";
import { tempKv } from "./testing.ts";

Deno.test("GroupCommitter packs concurrent specs and fails only the one whose check failed", async () => {
  const t = await tempKv();
  try {
    await t.kv.set(["guard"], "v1");
    const committer = new GroupCommitter(t.kv);
    const spec = (key: string, check?: string | null) => ({
      ...emptySpec(),
      checks: check === undefined
        ? []
        : [{ key: ["guard"], versionstamp: check }],
      mutations: [{ kind: "set" as const, key: ["k", key], value: key }],
    });
    const outcomes = await Promise.all([
      committer.submit(spec("a")),
      committer.submit(spec("b")),
      committer.submit(spec("bad", null)),
      committer.submit(spec("c")),
    ]);
    assertEquals(outcomes.map((o) => o.ok), [true, true, false, true]);
    const keys = [];
    for await (const e of t.kv.list({ prefix: ["k"] })) keys.push(e.value);
    assertEquals(keys, ["a", "b", "c"]);
    assert(
      committer.commits < 4 + 4,
      "at most one packed attempt before the one-by-one retry",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("GroupCommitter never packs a spec with one that writes a key it checks", async () => {
  const t = await tempKv();
  try {
    const seen = await t.kv.set(["record"], 1);
    const committer = new GroupCommitter(t.kv);
    const update = (value: number) => ({
      ...emptySpec(),
      checks: [{ key: ["record"], versionstamp: seen.versionstamp }],
      mutations: [{ kind: "set" as const, key: ["record"], value }],
    });
    const [first, second] = await Promise.all([
      committer.submit(update(2)),
      committer.submit(update(3)),
    ]);
    assertEquals(
      [first.ok, second.ok],
      [true, false],
      "the second update saw a stale versionstamp",
    );
    assertEquals((await t.kv.get(["record"])).value, 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("GroupCommitter rejects a spec over KV limits with a clear error and commits nothing", async () => {
  const t = await tempKv();
  try {
    const committer = new GroupCommitter(t.kv);
    const mutations = Array.from(
      { length: 1001 },
      (_, i) => ({ kind: "set" as const, key: ["m", i], value: i }),
    );
    const outcome = await committer.submit({ ...emptySpec(), mutations });
    assert(!outcome.ok && outcome.error instanceof RangeError);
    assert(
      outcome.error.message.includes("1001 mutations"),
      outcome.error.message,
    );
    assertEquals((await t.kv.get(["m", 0])).value, null);
  } finally {
    await t.cleanup();
  }
});
