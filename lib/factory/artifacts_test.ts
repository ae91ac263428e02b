import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
import {
  ARTIFACT,
  ARTIFACT_KINDS,
  artifactKindOf,
  artifactName,
  matchArtifact,
} from "./artifacts.ts";
import {
  decodeArtifact,
  readArtifact,
  writeArtifact,
} from "./artifact_store.ts";
import { StoredValueError } from "./stored_value.ts";
import { Redactor } from "../redact.ts";
import { withStore } from "../store/testing.ts";
import { ONE_OF_EACH } from "./testing.ts";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));

Deno.test("ARTIFACT names every artifact as the original service did", () => {
  assertEquals(ARTIFACT.sePacket(2).name, "se_packet_iter_2.json");
  assertEquals(ARTIFACT.toolReport(3).name, "tool_report_iter_3.json");
  assertEquals(ARTIFACT.poReport(1).name, "po_report_iter_1.json");
  assertEquals(ARTIFACT.llm(4, "po").name, "llm_iter_4_po.json");
  assertEquals(ARTIFACT.setupReport.name, "setup_report.json");
  assertEquals(ARTIFACT.summary.name, "summary.json");
  assertEquals(ARTIFACT.instructions.name, "instructions.json");
  assertEquals(ARTIFACT.diff.name, "diff.patch");
  assertEquals(ARTIFACT.diff.contentType, "text/x-diff");
  assertEquals(artifactName.llm(1, "se"), "llm_iter_1_se.json");
  // Best-of-N: each attempt's own packet, tool report and SE exchange.
  assertEquals(ARTIFACT.sePacket(1, 2).name, "se_packet_iter_1_attempt_2.json");
  assertEquals(
    ARTIFACT.toolReport(1, 3).name,
    "tool_report_iter_1_attempt_3.json",
  );
  assertEquals(ARTIFACT.llm(1, "se", 2).name, "llm_iter_1_attempt_2_se.json");
});

Deno.test("matchArtifact() and artifactKindOf() read a stored name back", () => {
  assertEquals(matchArtifact("llm", "llm_iter_12_se.json"), {
    n: "12",
    agent: "se",
  });
  assertEquals(
    matchArtifact("tool_report", "tool_report_iter_x.json.bak"),
    null,
  );
  assertEquals(matchArtifact("summary", "summaryXjson"), null);
  assertEquals(artifactKindOf("po_report_iter_7.json"), "po_report");
  assertEquals(artifactKindOf("notes.txt"), null);
  // An attempt's artifact is never read as the iteration's own.
  assertEquals(artifactKindOf("llm_iter_1_attempt_2_se.json"), "llm_attempt");
  assertEquals(matchArtifact("llm", "llm_iter_1_attempt_2_se.json"), null);
  assertEquals(
    matchArtifact("se_packet", "se_packet_iter_1_attempt_2.json"),
    null,
  );
  for (const kind of ARTIFACT_KINDS) {
    assertEquals(artifactKindOf(ONE_OF_EACH[kind].name), kind);
  }
});

Deno.test("decodeArtifact() names the artifact and the field of a stored value that does not parse", () => {
  assertThrows(
    () =>
      decodeArtifact(
        ARTIFACT.toolReport(2),
        bytes({ iteration: 2, applied: "three" }),
      ),
    (error: unknown) =>
      error instanceof StoredValueError &&
      error.what === "artifact 'tool_report_iter_2.json'" &&
      /Stored artifact 'tool_report_iter_2\.json' does not parse: base_commit/
        .test(error.message),
  );
  assertThrows(
    () =>
      decodeArtifact(
        ARTIFACT.summary,
        new TextEncoder().encode("{ not json"),
      ),
    /Stored artifact 'summary\.json' does not parse: not JSON/,
  );
});

Deno.test("decodeArtifact() reads an older value with the defaults of newer fields", () => {
  // A verdict stored before by_model and usage were kept.
  const verdict = decodeArtifact(
    ARTIFACT.poReport(1),
    bytes({ iteration: 1, decision: "PASS", feedback: "ok" }),
  );
  assertEquals(verdict.by_model, true);
  assertEquals(verdict.usage.total_tokens, 0);
  // A packet whose usage predates cache and reasoning tokens.
  const packet = decodeArtifact(
    ARTIFACT.sePacket(1),
    bytes({
      iteration: 1,
      writes: [],
      deletes: [],
      summary: "s",
      usage: {
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        cost_usd: 0,
      },
      from_a_newer_build: 1,
    }),
  );
  assertEquals(packet.usage.cached_tokens, 0);
  assertEquals(packet.from_a_newer_build, 1);
});

Deno.test("writeArtifact() refuses a value that does not fit its artifact and stores nothing", async () => {
  await withStore(async (store) => {
    const redactor = new Redactor([]);
    await assertRejects(
      () =>
        writeArtifact(store, "r1", {
          artifact: ARTIFACT.poReport(1),
          // A bug a type cast could hide.
          value: { iteration: 1, decision: "MAYBE" } as never,
          redactor,
        }),
      /Stored new artifact 'po_report_iter_1\.json' does not parse: decision/,
    );
    assertEquals(await readArtifact(store, "r1", ARTIFACT.poReport(1)), null);
  });
});

Deno.test("writeArtifact() stores the JSON the original service stored, and readArtifact() parses it", async () => {
  await withStore(async (store) => {
    const redactor = new Redactor([]);
    const report = {
      iteration: 1,
      base_commit: "abc",
      applied: 1,
      rejected: [],
      commands: [],
      ok: true,
      diff: "",
    };
    await writeArtifact(store, "r1", {
      artifact: ARTIFACT.toolReport(1),
      value: report,
      redactor,
    });
    const { meta, body } = await store.getArtifact(
      "r1",
      "tool_report_iter_1.json",
    );
    assertEquals(meta.content_type, "application/json");
    assertEquals(
      new TextDecoder().decode(body),
      JSON.stringify(report, null, 2) + "\n",
    );
    assertEquals(
      await readArtifact(store, "r1", ARTIFACT.toolReport(1)),
      report,
    );
    await writeArtifact(store, "r1", {
      artifact: ARTIFACT.diff,
      value: "diff --git a/x b/x\n",
      redactor,
    });
    const diff = await store.getArtifact("r1", "diff.patch");
    assertEquals(diff.meta.content_type, "text/x-diff");
    assertEquals(new TextDecoder().decode(diff.body), "diff --git a/x b/x\n");
    assert(await readArtifact(store, "r1", ARTIFACT.summary) === null);
  });
});
