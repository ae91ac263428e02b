/** A run cancelled mid-turn leaves its SE journal behind; the worker process sweeps it. */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { eventually } from "../runtime/testing.ts";
import { withHarness } from "./support/harness.ts";

Deno.test("the turn journal of a run cancelled mid-turn is swept by the worker process", async () => {
  await withHarness({
    script: { se: [{ delayMs: 60_000, then: { content: "late" } }], po: [] },
    env: { AOS_WORKSPACE_SWEEP_MS: "50" },
  }, async (h) => {
    const run = await h.submit(h.workOrder({}));
    await eventually(() => h.model.requests.length > 0 || undefined);
    const store = h.svc.store;
    // The turn journaled its start before the model call it waits on; while
    // the run is live, the journal stays (sweeps run every 50 ms here).
    const entries = () => store.journal(run.id, "se_iter_1").load();
    await eventually(async () => (await entries()).length > 0 || undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert((await entries()).length > 0, "a live run's journal is kept");

    const res = await fetch(`${h.svc.url}/runs/${run.id}/cancel`, {
      method: "POST",
    });
    assertEquals((await res.json()).status, "CANCELLED");
    await eventually(
      async () =>
        (await entries()).length === 0 ||
        undefined,
      10_000,
      "the journal to be swept",
    );
  });
});
