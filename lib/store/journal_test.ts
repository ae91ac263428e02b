import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { JournalConflictError, KvJournal } from "./journal.ts";

async function withKv(fn: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aos_journal_" });
  const kv = await Deno.openKv(`${dir}/kv.sqlite`);
  try {
    await fn(kv);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("KvJournal appends entries and a new instance loads them in order", async () => {
  await withKv(async (kv) => {
    const journal = new KvJournal<{ n: number; text: string }>(kv, ["j", "r1"]);
    assertEquals(await journal.load(), []);
    // 2.5 MB: more chunks than one atomic commit takes.
    const big = "é".repeat(1_250_000);
    await journal.append({ n: 0, text: "small" });
    await journal.append({ n: 1, text: big });
    await journal.append({ n: 2, text: "after" });
    const loaded = await new KvJournal<{ n: number; text: string }>(kv, [
      "j",
      "r1",
    ]).load();
    assertEquals(loaded.map((e) => e.n), [0, 1, 2]);
    assert(loaded[1]!.text === big);
    // Another journal's prefix is separate.
    assertEquals(await new KvJournal(kv, ["j", "r2"]).load(), []);
  });
});

Deno.test("KvJournal refuses a second writer of the same entry number", async () => {
  await withKv(async (kv) => {
    const a = new KvJournal<string>(kv, ["j"]);
    const b = new KvJournal<string>(kv, ["j"]);
    await a.load();
    await b.load();
    await a.append("from a");
    await rejects(b.append("from b"), JournalConflictError);
    // b reloads and goes on after a's entry.
    assertEquals(await b.load(), ["from a"]);
    await b.append("from b");
    assertEquals(await new KvJournal<string>(kv, ["j"]).load(), [
      "from a",
      "from b",
    ]);
  });
});

Deno.test("KvJournal ignores an entry whose head was never written", async () => {
  await withKv(async (kv) => {
    const journal = new KvJournal<string>(kv, ["j"]);
    await journal.append("complete");
    // What a writer killed before its head commit leaves behind.
    await kv.set(["j", 1, "c", "gen-x", 0], new TextEncoder().encode('"half"'));
    assertEquals(await new KvJournal<string>(kv, ["j"]).load(), ["complete"]);
    await journal.clear();
    assertEquals(await new KvJournal<string>(kv, ["j"]).load(), []);
    let left = 0;
    for await (const _ of kv.list({ prefix: ["j"] })) left++;
    assertEquals(left, 0);
  });
});
