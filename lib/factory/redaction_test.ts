/**
 * The one place redaction is proven: a secret placed in every field of every
 * artifact kind and every event kind comes out masked, through the two
 * functions every writer goes through (writeArtifact, redactedEvent).
 */
import { ok as assert } from "node:assert/strict";
import { Redactor } from "../redact.ts";
import { withStore } from "../store/testing.ts";
import { type Artifact, ARTIFACT_KINDS } from "./artifacts.ts";
import { writeArtifact } from "./artifact_store.ts";
import { EVENT_KINDS, EVENTS, redactedEvent } from "./events.ts";
import { ONE_OF_EACH, sampleOf } from "./testing.ts";

const SECRET = "s3cr3t-Value-0f-A-Token";
const TEXT = `see ${SECRET} here`;
const redactor = new Redactor([SECRET]);

Deno.test("writeArtifact() masks a secret in every field of every artifact kind", async () => {
  await withStore(async (store) => {
    for (const kind of ARTIFACT_KINDS) {
      const artifact: Artifact<unknown> = ONE_OF_EACH[kind];
      const value = sampleOf(artifact.schema, TEXT);
      assert(JSON.stringify(value).includes(SECRET), kind);
      await writeArtifact(store, "r1", {
        artifact,
        value: artifact.schema.parse(value),
        redactor,
      });
      const { body } = await store.getArtifact("r1", artifact.name);
      const stored = new TextDecoder().decode(body);
      assert(!stored.includes(SECRET), `${artifact.name}: ${stored}`);
      assert(stored.includes("[REDACTED]"), artifact.name);
    }
  });
});

Deno.test("redactedEvent() masks a secret in every field of every event kind", () => {
  for (const kind of EVENT_KINDS) {
    const payload = sampleOf(EVENTS[kind].payload, TEXT);
    const event = redactedEvent(
      { kind, level: "INFO", iteration: 1, payload },
      redactor,
    );
    const written = JSON.stringify(event);
    assert(!written.includes(SECRET), `${kind}: ${written}`);
    assert(written.includes("[REDACTED]"), kind);
  }
});
