import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { NotFoundError, ValidationError } from "../errors.ts";
import { newRunId } from "../ids.ts";
import { RunStore } from "./run_store.ts";
import { withStore } from "./testing.ts";

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(n, at + 65_536)));
  }
  return bytes;
}

async function chunkCount(store: RunStore, runId: string): Promise<number> {
  let n = 0;
  const prefix = [...store.keys.prefix, "artifact_chunk", runId];
  for await (const _ of store.kv.list({ prefix })) n++;
  return n;
}

Deno.test("RunStore.putArtifact() round-trips a 5 MiB artifact byte for byte", async () => {
  await withStore(async (store) => {
    const runId = newRunId();
    const body = randomBytes(5 * 1024 * 1024 + 123);
    const meta = await store.putArtifact(
      runId,
      "diff.patch",
      body,
      "text/x-diff",
    );
    assertEquals([meta.name, meta.bytes, meta.content_type], [
      "diff.patch",
      body.length,
      "text/x-diff",
    ]);
    const read = await store.getArtifact(runId, "diff.patch");
    assertEquals(read.meta, meta);
    assert(
      read.body.length === body.length &&
        read.body.every((b, i) => b === body[i]),
    );
    const streamed = new Uint8Array(
      await new Response(
        (await store.streamArtifact(runId, "diff.patch")).stream,
      ).arrayBuffer(),
    );
    assert(
      streamed.length === body.length &&
        streamed.every((b, i) => b === body[i]),
    );
    assertEquals(await store.listArtifacts(runId), [meta]);
  });
});

Deno.test("RunStore.putArtifact() replaces by name, drops old chunks, and skips identical rewrites", async () => {
  await withStore(async (store) => {
    const runId = newRunId();
    await store.putArtifact(
      runId,
      "summary.json",
      randomBytes(200_000),
      "application/json",
    );
    assertEquals(await chunkCount(store, runId), 4);
    const second = await store.putArtifact(
      runId,
      "summary.json",
      '{"ok":true}',
      "application/json",
    );
    assertEquals(await chunkCount(store, runId), 1);
    assertEquals(
      new TextDecoder().decode(
        (await store.getArtifact(runId, "summary.json")).body,
      ),
      '{"ok":true}',
    );
    const again = await store.putArtifact(
      runId,
      "summary.json",
      '{"ok":true}',
      "application/json",
    );
    assertEquals(again, second, "identical rewrite keeps the stored artifact");
    const empty = await store.putArtifact(
      runId,
      "a_empty.txt",
      "",
      "text/plain",
    );
    assertEquals(empty.bytes, 0);
    assertEquals(
      (await store.getArtifact(runId, "a_empty.txt")).body.length,
      0,
    );
    assertEquals((await store.listArtifacts(runId)).map((a) => a.name), [
      "a_empty.txt",
      "summary.json",
    ]);
  });
});

Deno.test("RunStore.putArtifact() keeps concurrent rewrites of one name whole", async () => {
  await withStore(async (store) => {
    const runId = newRunId();
    const bodies = Array.from(
      { length: 8 },
      (_, i) => randomBytes(100_000 + i),
    );
    await Promise.all(
      bodies.map((b) =>
        store.putArtifact(runId, "x.bin", b, "application/octet-stream")
      ),
    );
    const { body } = await store.getArtifact(runId, "x.bin");
    const winner = bodies.find((b) => b.length === body.length)!;
    assert(body.every((v, i) => v === winner[i]));
    assertEquals(await chunkCount(store, runId), 2, "losers' chunks are gone");
  });
});

Deno.test("RunStore artifact calls reject bad names and report missing artifacts", async () => {
  await withStore(async (store) => {
    const runId = newRunId();
    for (
      const name of [
        "",
        "../etc",
        ".hidden",
        "a/b",
        "a b",
        "x".repeat(129),
        "a..b",
      ]
    ) {
      await rejects(
        store.putArtifact(runId, name, "x", "text/plain"),
        ValidationError,
        name,
      );
    }
    await rejects(
      store.putArtifact(runId, "ok.txt", "x", "text/plain\r\nX-Evil: 1"),
      ValidationError,
    );
    await rejects(store.getArtifact(runId, "missing.json"), (e: unknown) => {
      return e instanceof NotFoundError &&
        e.message === `Artifact 'missing.json' of run '${runId}' not found`;
    });
    await rejects(store.streamArtifact(runId, "missing.json"), NotFoundError);
  });
});
