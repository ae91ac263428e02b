/**
 * push_mode end to end: the same work order run again, with the push branch
 * checked on the real (bare) remote before setup and the first model call.
 */
import assert from "node:assert/strict";
import { git, withHarness } from "./support/harness.ts";
import { PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { finishCall, writeFileCall } from "../lib/llm/testing.ts";

const NOTES = {
  tool_calls: [writeFileCall("NOTES.md", "notes\n"), finishCall("notes")],
};
const MORE = {
  tool_calls: [writeFileCall("MORE.md", "more\n"), finishCall("more")],
};

Deno.test("push_mode: a second run of the same work order fails before any model request, pushes on top once main has the branch, and suffix/new behave", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR, NOTES, MORE], po: [PASS, PASS, PASS] },
    env: {
      AOS_GIT_AUTHOR_NAME: "Robo Coder",
      AOS_GIT_AUTHOR_EMAIL: "robo@example.com",
    },
  }, async (h) => {
    const order = (fields: Record<string, unknown> = {}) =>
      h.workOrder({ title: "Calc", push_branch: "aos/x", ...fields });
    const tip = async (branch: string) =>
      (await git(h.dir, "--git-dir", h.remote, "rev-parse", branch)).trim();

    // 1. The first run pushes, as the configured author, dated at the run's start, the run id in a trailer.
    const first = await h.waitForEnd((await h.submit(order())).id);
    assert.equal(first.status, "SUCCEEDED", first.error ?? "");
    const meta = (await git(
      h.dir,
      "--git-dir",
      h.remote,
      "show",
      "-s",
      "--format=%an <%ae>|%ct|%(trailers:key=AOS-Run-Id,valueonly)",
      "aos/x",
    )).trim();
    assert.equal(
      meta,
      `Robo Coder <robo@example.com>|${
        Math.floor(Date.parse(first.started_at!) / 1000)
      }|${first.id}`,
    );
    const afterFirst = h.model.requests.length;

    // 2. The same work order again (default push_mode: update): the branch has a commit main lacks.
    const again = await h.waitForEnd((await h.submit(order())).id);
    assert.equal(again.status, "FAILED");
    assert.match(
      again.error ?? "",
      /Branch 'aos\/x' already exists on '.*' at [0-9a-f]{12}, which is not an ancestor of this run's base commit .*push_mode: suffix/,
    );
    assert.equal(again.result_summary, "Failed during push check");
    assert.equal(h.model.requests.length, afterFirst, "no model request");

    // 3. Once main has the branch's commit, update pushes on top of it.
    await git(
      h.dir,
      "--git-dir",
      h.remote,
      "update-ref",
      "refs/heads/main",
      "aos/x",
    );
    const before = await tip("aos/x");
    const onTop = await h.waitForEnd((await h.submit(order())).id);
    assert.equal(onTop.status, "SUCCEEDED", onTop.error ?? "");
    assert.equal(await tip("aos/x^"), before);
    assert.equal(await h.remoteFile("aos/x", "NOTES.md"), "notes\n");
    const target = (await h.svc.store.listEvents(onTop.id)).find((e) =>
      e.kind === "PUSH_TARGET"
    );
    assert.deepEqual(target?.payload, {
      branch: "aos/x",
      mode: "update",
      existing: before,
    });

    // 4. suffix: aos/x exists, so the run pushes to aos/x-2 and says so everywhere.
    const suffixed = await h.waitForEnd(
      (await h.submit(order({ push_mode: "suffix" }))).id,
    );
    assert.equal(suffixed.status, "SUCCEEDED", suffixed.error ?? "");
    assert.equal(suffixed.push_branch, "aos/x-2");
    assert.equal(suffixed.result_summary, "Decision: PASS, pushed to aos/x-2");
    assert.equal(await h.remoteFile("aos/x-2", "MORE.md"), "more\n");
    assert.equal(await tip("main"), await tip("aos/x-2^"));
    const events = await h.svc.store.listEvents(suffixed.id);
    assert.deepEqual(
      events.find((e) => e.kind === "PUSH_TARGET")?.payload,
      { branch: "aos/x-2", mode: "suffix", requested: "aos/x", existing: null },
    );
    assert.equal(
      events.find((e) => e.kind === "PUSH")?.payload.branch,
      "aos/x-2",
    );

    // 5. new refuses an existing branch, before any model request.
    const requests = h.model.requests.length;
    const refused = await h.waitForEnd(
      (await h.submit(order({ push_mode: "new" }))).id,
    );
    assert.equal(refused.status, "FAILED");
    assert.match(
      refused.error ?? "",
      /Branch 'aos\/x' already exists on '.*' and the work order says push_mode: new/,
    );
    assert.equal(h.model.requests.length, requests, "no model request");
    assert.deepEqual(h.model.remaining(), { se: 0, po: 0 });
  });
});
