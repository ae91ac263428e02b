/**
 * Artifacts in KV: bytes in chunks of 60 KiB (under the 64 KiB value limit)
 * keyed by a fresh generation id, then the metadata key, written last. A
 * reader only ever sees a complete artifact; rewriting a name writes a new
 * generation, flips the metadata, and only then deletes the old chunks.
 */
import { NotFoundError, ValidationError } from "../errors.ts";
import { newRunId } from "../ids.ts";
import type { StoreKeys } from "./keys.ts";
import { concat } from "./run_codec.ts";
import type { ArtifactMeta } from "./types.ts";

const CHUNK_BYTES = 60 * 1024;
/** Chunks per atomic commit: 600 KiB, under the 800 KiB commit limit. */
const CHUNKS_PER_COMMIT = 10;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Metadata as stored: the public fields plus where the bytes are. */
interface StoredArtifact extends ArtifactMeta {
  generation: string;
  chunks: number;
  sha256: string;
}

/** Throws ValidationError unless `name` is a valid artifact name. */
export function checkArtifactName(name: string): void {
  if (!NAME.test(name) || name.includes("..")) {
    throw new ValidationError([{
      field: "name",
      message:
        `Artifact name '${name}' must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    }]);
  }
}

function publicMeta(stored: StoredArtifact): ArtifactMeta {
  return {
    name: stored.name,
    content_type: stored.content_type,
    bytes: stored.bytes,
    created_at: stored.created_at,
  };
}

function notFound(runId: string, name: string): NotFoundError {
  return new NotFoundError(`Artifact '${name}' of run '${runId}' not found`);
}

/** Stores (or replaces) an artifact; a no-op when the same bytes are already there. */
export async function putArtifactAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  artifact: {
    runId: string;
    name: string;
    body: Uint8Array | string;
    contentType: string;
  },
): Promise<ArtifactMeta> {
  const { runId, name, body, contentType } = artifact;
  checkArtifactName(name);
  if (!/^[\x20-\x7e]{1,255}$/.test(contentType)) {
    throw new ValidationError([{
      field: "content_type",
      message: `Content type '${
        contentType.slice(0, 100)
      }' must be 1-255 printable ASCII characters`,
    }]);
  }
  const bytes = typeof body === "string"
    ? new TextEncoder().encode(body)
    : body;
  const sha256 = await digest(bytes);
  const metaKey = [...keys.artifacts(runId), name];
  let current = await kv.get<StoredArtifact>(metaKey);
  if (
    current.value?.sha256 === sha256 &&
    current.value.content_type === contentType
  ) {
    return publicMeta(current.value);
  }
  // Time-ordered, so the sweeper (artifact_sweep.ts) knows how old it is.
  const generation = newRunId();
  const chunkPrefix = keys.artifactChunks(runId, generation);
  const chunks = Math.ceil(bytes.length / CHUNK_BYTES);
  for (let first = 0; first < chunks; first += CHUNKS_PER_COMMIT) {
    const op = kv.atomic();
    for (let i = first; i < Math.min(chunks, first + CHUNKS_PER_COMMIT); i++) {
      op.set(
        [...chunkPrefix, i],
        bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
      );
    }
    await op.commit();
  }
  const meta: StoredArtifact = {
    name,
    content_type: contentType,
    bytes: bytes.length,
    created_at: new Date().toISOString(),
    generation,
    chunks,
    sha256,
  };
  // Flip the metadata; on a concurrent rewrite re-read and flip again (last writer wins).
  for (;;) {
    const flip = await kv.atomic().check(current).set(metaKey, meta).commit();
    if (flip.ok) break;
    current = await kv.get<StoredArtifact>(metaKey);
  }
  if (current.value) {
    await deleteChunks(
      kv,
      keys.artifactChunks(runId, current.value.generation),
      current.value.chunks,
    );
  }
  return publicMeta(meta);
}

async function deleteChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  chunks: number,
): Promise<void> {
  await deleteKeys(
    kv,
    Array.from({ length: chunks }, (_, i) => [...prefix, i]),
  );
}

/** Deletes `keys`, 100 per commit. */
export async function deleteKeys(
  kv: Deno.Kv,
  keys: Deno.KvKey[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += 100) {
    const op = kv.atomic();
    for (const key of keys.slice(i, i + 100)) op.delete(key);
    await op.commit();
  }
}

/** Deletes every key under `prefix` (listed first, so a delete cut short leaves no gap unseen); returns how many. */
export async function deletePrefix(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
): Promise<number> {
  const keys: Deno.KvKey[] = [];
  for await (const entry of kv.list({ prefix })) keys.push(entry.key);
  await deleteKeys(kv, keys);
  return keys.length;
}

/** All artifacts of a run, sorted by name. */
export async function listArtifactsAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  runId: string,
): Promise<ArtifactMeta[]> {
  const metas: ArtifactMeta[] = [];
  for await (
    const entry of kv.list<StoredArtifact>({ prefix: keys.artifacts(runId) })
  ) {
    metas.push(publicMeta(entry.value));
  }
  return metas;
}

/** Reads an artifact's bytes; NotFoundError when it does not exist. */
export async function getArtifactAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  runId: string,
  name: string,
): Promise<{ meta: ArtifactMeta; body: Uint8Array }> {
  checkArtifactName(name);
  // A concurrent rewrite may delete the generation being read: retry from the metadata.
  for (let attempt = 0;; attempt++) {
    const meta =
      (await kv.get<StoredArtifact>([...keys.artifacts(runId), name])).value;
    if (!meta) throw notFound(runId, name);
    const chunks: Uint8Array[] = [];
    const prefix = keys.artifactChunks(runId, meta.generation);
    for await (
      const entry of kv.list<Uint8Array>({ prefix }, { batchSize: 10 })
    ) {
      chunks.push(entry.value);
    }
    const body = concat(chunks);
    if (chunks.length === meta.chunks && body.length === meta.bytes) {
      return { meta: publicMeta(meta), body };
    }
    if (attempt >= 5) {
      throw new Error(`Artifact '${name}' of run '${runId}' is incomplete`);
    }
  }
}

/** Streams an artifact's bytes chunk by chunk; NotFoundError when it does not exist. */
export async function streamArtifactAt(
  kv: Deno.Kv,
  keys: StoreKeys,
  runId: string,
  name: string,
): Promise<{ meta: ArtifactMeta; stream: ReadableStream<Uint8Array> }> {
  checkArtifactName(name);
  const meta =
    (await kv.get<StoredArtifact>([...keys.artifacts(runId), name])).value;
  if (!meta) throw notFound(runId, name);
  const prefix = keys.artifactChunks(runId, meta.generation);
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next >= meta.chunks) return controller.close();
      const keysToRead = [];
      for (let i = next; i < Math.min(meta.chunks, next + 10); i++) {
        keysToRead.push([...prefix, i]);
      }
      const entries = await kv.getMany<Uint8Array[]>(keysToRead);
      for (const entry of entries) {
        if (entry.value === null) {
          return controller.error(
            new Error(
              `Artifact '${name}' of run '${runId}' was replaced while streaming`,
            ),
          );
        }
        controller.enqueue(entry.value);
      }
      next += entries.length;
    },
  }, { highWaterMark: 0 });
  return { meta: publicMeta(meta), stream };
}

async function digest(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}
