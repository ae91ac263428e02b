/**
 * End to end: the ways a run ends early that no other test walks — its wall
 * time running out while the SE still thinks, and the Product Owner's model
 * API failing midway — each FAILED with the reason, what was paid for in the
 * run's usage, and nothing after RUN_END (real KV, git, bwrap, HTTP model).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { engineerRef } from "../actors/engineer/messages.ts";
import { productOwnerRef } from "../actors/product_owner/messages.ts";
import { pullRequestRef } from "../actors/pull_request/messages.ts";
import { toolRunnerRef } from "../actors/tool_runner/messages.ts";
import { RuntimeKeys } from "../runtime/mod.ts";
import { artifactJson, withHarness } from "./support/harness.ts";
import { errorReply, poVerdict } from "../lib/llm/testing.ts";

const DEADLINE_MESSAGE =
  "Run exceeded its wall time limit of 5 s while the SE was working (iteration 1)";

const call = (name: string, args: unknown) => ({
  tool_calls: [{ name, arguments: args }],
});

Deno.test("a run past max_wall_time_s ends FAILED at once, its SE cancelled mid-call", async () => {
  await withHarness({
    // The SE's model call outlasts the run's one-second wall time.
    script: { se: [{ delayMs: 60_000, then: { content: "late" } }], po: [] },
  }, async (h) => {
    // Five seconds: preparing (clone, checkout) fits under a loaded machine.
    const run = await h.submit(h.workOrder({ max_wall_time_s: 5 }));
    const done = await h.waitForEnd(run.id, 30_000);
    assertEquals(done.status, "FAILED");
    assertEquals(done.result_summary, "Failed: wall time exceeded");
    assertEquals(done.error, DEADLINE_MESSAGE);
    assertEquals(done.iteration, 1);
    assert(done.finished_at, "no finished_at");

    const events = await h.svc.store.listEvents(run.id);
    const error = events.find((e) => e.kind === "ERROR");
    assert(error, "no ERROR event");
    assertEquals(error.level, "ERROR");
    assertEquals(error.iteration, 1);
    assertEquals(error.payload, {
      stage: "deadline",
      message: DEADLINE_MESSAGE,
    });
    assertEquals(events.at(-1)?.kind, "RUN_END");
    assertEquals(events.at(-1)?.payload, {
      status: "FAILED",
      result_summary: "Failed: wall time exceeded",
      error: DEADLINE_MESSAGE,
    });
    assertEquals(events.filter((e) => e.kind === "RUN_END").length, 1);

    // Every child is cancelled in the run's last commit, so none acts later.
    const keys = new RuntimeKeys(["rt"]);
    for (
      const child of [
        engineerRef(run.id),
        toolRunnerRef(run.id),
        productOwnerRef(run.id),
        pullRequestRef(run.id),
      ]
    ) {
      const lease = await h.svc.kv.get<{ cancelled?: boolean }>(
        keys.lease(child),
      );
      assertEquals(lease.value?.cancelled, true, `${child.type} not cancelled`);
    }
    const summary = await artifactJson(h, run.id, "summary.json");
    assertEquals(summary.status, "FAILED");
    assertEquals(summary.error, DEADLINE_MESSAGE);
    // The cancelled turn leaves no packet behind.
    const names = (await h.svc.store.listArtifacts(run.id)).map((a) => a.name);
    assert(!names.includes("se_packet_iter_1.json"), names.join(", "));
  });
});

Deno.test("a PO whose model API fails midway ends the run FAILED with its transcript and cost kept", async () => {
  await withHarness({
    script: {
      se: [
        call("write_file", { path: "NOTES.md", content: "notes\n" }),
        call("finish", { summary: "Notes" }),
      ],
      po: [
        // A paid reply without a verdict, then the account runs dry.
        { content: "Let me think about it." },
        errorReply(429, "insufficient_quota", {
          type: "insufficient_quota",
          message: "You exceeded your current quota",
        }),
        poVerdict("PASS", "never asked"),
      ],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: ["true"] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertEquals(done.result_summary, "Failed during product_owner");
    assertMatch(done.error ?? "", /insufficient_quota|exceeded your current/);
    // Not retried: the reply without a verdict, then the refused one.
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 2);

    const events = await h.svc.store.listEvents(run.id);
    const error = events.find((e) => e.kind === "ERROR");
    assert(error, "no ERROR event");
    assertEquals(error.payload.stage, "product_owner");
    assertEquals(error.iteration, 1);
    assertEquals(events.at(-1)?.kind, "RUN_END");
    assert(!events.some((e) => e.kind === "PO_RESULT"), "a PO_RESULT event");

    const po = await artifactJson(h, run.id, "llm_iter_1_po.json");
    assertEquals(po.agent, "po");
    assertEquals(po.iteration, 1);
    assertEquals((po.error as { kind: string }).kind, "quota");
    const transcript = po.transcript as { exchanges: unknown[] };
    assertEquals(transcript.exchanges.length, 1);
    const poTokens = (po.usage as { total_tokens: number }).total_tokens;
    assert(poTokens > 0, "the paid PO reply has no usage");
    // The run is charged for both agents, the failed review included.
    const se = await artifactJson(h, run.id, "llm_iter_1_se.json");
    const seTokens = (se.usage as { total_tokens: number }).total_tokens;
    assertEquals(done.usage.total_tokens, seTokens + poTokens);
    const names = (await h.svc.store.listArtifacts(run.id)).map((a) => a.name);
    assert(!names.includes("po_report_iter_1.json"), names.join(", "));
  });
});
