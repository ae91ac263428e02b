import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { newRunId } from "../ids.ts";
import { withStore } from "./testing.ts";

const HOUR = 3_600_000;

/** A UUIDv7 stamped `ms` (newRunId() itself never goes back in time). */
function idAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}${newRunId().slice(13)}`;
}

Deno.test("sweepOrphanChunks() removes only old generations no metadata points at", async () => {
  await withStore(async (store, t) => {
    const runA = newRunId();
    const runB = newRunId();
    const big = new Uint8Array(150 * 1024).fill(7); // three chunks
    const chunk = big.subarray(0, 60 * 1024);
    await store.putArtifact(runA, "kept.bin", big, "application/octet-stream");
    await store.putArtifact(runB, "kept.txt", "hello", "text/plain");
    // A writer killed before its metadata flip, two hours ago; one still writing now.
    const orphan = idAt(Date.now() - 2 * HOUR);
    const inProgress = newRunId();
    for (const [run, generation] of [[runA, orphan], [runB, inProgress]]) {
      const op = t.kv.atomic();
      for (let i = 0; i < 3; i++) {
        op.set([...store.keys.artifactChunks(run!, generation!), i], chunk);
      }
      assert((await op.commit()).ok);
    }
    // An orphan written before generations were time-ordered: age unknown, kept.
    await t.kv.set(
      [...store.keys.artifactChunks(runB, crypto.randomUUID()), 0],
      chunk,
    );

    const swept = await store.sweepOrphanChunks({ minAgeMs: HOUR });
    assertEquals(swept, { generations: 1, chunks: 3 });
    const left = await Array.fromAsync(
      t.kv.list({ prefix: store.keys.artifactChunks(runA, orphan) }),
    );
    assertEquals(left.length, 0);
    assertEquals(
      (await store.getArtifact(runA, "kept.bin")).body.length,
      big.length,
    );
    assertEquals(
      new TextDecoder().decode(
        (await store.getArtifact(runB, "kept.txt")).body,
      ),
      "hello",
    );
    assertEquals(
      (await Array.fromAsync(
        t.kv.list({ prefix: store.keys.artifactChunks(runB, inProgress) }),
      )).length,
      3,
    );
    // Once the in-progress generation is old and still unreferenced, it goes too.
    assertEquals(
      await store.sweepOrphanChunks({
        minAgeMs: HOUR,
        now: Date.now() + 2 * HOUR,
      }),
      { generations: 1, chunks: 3 },
    );
    assertEquals(
      await store.sweepOrphanChunks({
        minAgeMs: HOUR,
        now: Date.now() + 2 * HOUR,
      }),
      { generations: 0, chunks: 0 },
    );
    assertEquals(
      (await store.getArtifact(runA, "kept.bin")).meta.bytes,
      big.length,
    );
  });
});

Deno.test("a replaced artifact's old generation is deleted at once, not left for the sweeper", async () => {
  await withStore(async (store, t) => {
    const run = newRunId();
    await store.putArtifact(run, "a.txt", "one", "text/plain");
    await store.putArtifact(run, "a.txt", "two", "text/plain");
    const chunks = await Array.fromAsync(
      t.kv.list({ prefix: [...store.keys.prefix, "artifact_chunk", run] }),
    );
    assertEquals(chunks.length, 1);
    assertEquals(
      await store.sweepOrphanChunks({ minAgeMs: 0, now: Date.now() + HOUR }),
      { generations: 0, chunks: 0 },
    );
  });
});
