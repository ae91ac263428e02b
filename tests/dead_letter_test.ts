/**
 * End to end: no run stays non-terminal because one of its messages died.
 * A dead-lettered message of the run actor or of a child ends the run FAILED
 * with the reason, in the dead letter's own commit.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { runRef } from "../actors/mod.ts";
import { sampleRun } from "../lib/store/testing.ts";
import { actorRef, type Message } from "../runtime/mod.ts";
import { withHarness } from "./support/harness.ts";

Deno.test("a run whose start can never be handled ends FAILED with the reason, not PENDING forever", async () => {
  await withHarness({}, async (h) => {
    // A run stored without its validated work order and with markdown the
    // run actor's parse refuses (as a 1.2 MB task once got past submit).
    const md = `---\nrepo: ${h.remote}\n---\n\n${"x".repeat(1_200_000)}\n`;
    const record = sampleRun({
      title: null,
      repo: h.remote,
      work_order_md: md,
    });
    await h.svc.system.send(
      runRef(record.id),
      { type: "start" },
      h.svc.store.createRunMutations(record),
    );
    const done = await h.waitForEnd(record.id, 30_000);
    assertEquals(done.status, "FAILED");
    assertMatch(
      done.error ?? "",
      /Message 'start' to run could not be handled/,
    );
    assertMatch(done.error ?? "", /1 MiB|too large|bytes/i);
    const events = await h.svc.store.listEvents(record.id);
    assertEquals(events.at(-1)?.kind, "RUN_END");
    assertEquals(events.at(-1)?.payload.status, "FAILED");
    assertEquals(h.model.requests.length, 0);
  });
});

Deno.test("a child's message that fails validation ends the run FAILED naming it", async () => {
  await withHarness({
    // The SE is still thinking when the bad message arrives.
    script: { se: [{ delayMs: 60_000, then: { content: "late" } }], po: [] },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: ["true"] }));
    while (h.model.requests.length === 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Mail from outside the type system (an older version, another process).
    await h.svc.system.send(actorRef<Message>("tr", run.id), {
      type: "apply",
      iteration: "one",
    });
    const done = await h.waitForEnd(run.id, 30_000);
    assertEquals(done.status, "FAILED");
    assertMatch(
      done.error ?? "",
      /Message 'apply' to tr could not be handled after 1 attempt\(s\): Message failed validation/,
    );
    const error = (await h.svc.store.listEvents(run.id)).find((e) =>
      e.kind === "ERROR"
    );
    assert(error, "no ERROR event");
    assertEquals(error.payload.stage, "tool_runner");
    const dls = await h.svc.system.deadLetters();
    assertEquals(dls.map((d) => d.actor), [{ type: "tr", id: run.id }]);
  });
});
