/**
 * Reading and writing a run's artifacts through their rows (artifacts.ts):
 * a write is checked against the schema and redacted once, here; a read is
 * parsed, and a value that does not parse is a `StoredValueError` naming
 * the artifact.
 */
import { NotFoundError } from "../errors.ts";
import type { Redactor } from "../redact.ts";
import { retryTransient } from "../../runtime/mod.ts";
import type { Artifact } from "./artifacts.ts";
import { StoredValueError } from "./stored_value.ts";

/** The part of the run store artifacts are read from and written to. */
export interface ArtifactStore {
  getArtifact(
    runId: string,
    name: string,
  ): Promise<{ body: Uint8Array }>;
  putArtifact(
    runId: string,
    name: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<unknown>;
}

/** The stored bytes of `value`: pretty JSON with a final newline, or the text itself. */
export function encodeArtifact<T>(artifact: Artifact<T>, value: T): string {
  if (artifact.contentType !== "application/json") return String(value);
  return JSON.stringify(value, null, 2) + "\n";
}

/** `body` read as `artifact`; StoredValueError naming it when it does not parse. */
export function decodeArtifact<T>(artifact: Artifact<T>, body: Uint8Array): T {
  const text = new TextDecoder().decode(body);
  let value: unknown = text;
  if (artifact.contentType === "application/json") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new StoredValueError(
        `artifact '${artifact.name}'`,
        `not JSON (${error instanceof Error ? error.message : error})`,
      );
    }
  }
  const parsed = artifact.schema.safeParse(value);
  if (!parsed.success) {
    throw new StoredValueError(`artifact '${artifact.name}'`, parsed.error);
  }
  return parsed.data;
}

/** The artifact of run `runId` parsed, or null when it was never written. */
export async function readArtifact<T>(
  store: Pick<ArtifactStore, "getArtifact">,
  runId: string,
  artifact: Artifact<T>,
): Promise<T | null> {
  let body: Uint8Array;
  try {
    ({ body } = await retryTransient(() =>
      store.getArtifact(runId, artifact.name)
    ));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  return decodeArtifact(artifact, body);
}

/**
 * Checks `value` against its artifact's schema (a value that does not fit is
 * a bug, named here), masks its secrets, and stores it; returns what was
 * stored.
 */
export async function writeArtifact<T>(
  store: Pick<ArtifactStore, "putArtifact">,
  runId: string,
  entry: { artifact: Artifact<T>; value: T; redactor: Redactor },
): Promise<T> {
  const { artifact, redactor } = entry;
  const parsed = artifact.schema.safeParse(entry.value);
  if (!parsed.success) {
    throw new StoredValueError(`new artifact '${artifact.name}'`, parsed.error);
  }
  const value = artifact.redact(entry.value, redactor);
  const body = encodeArtifact(artifact, value);
  await retryTransient(() =>
    store.putArtifact(runId, artifact.name, body, artifact.contentType)
  );
  return value;
}
