/**
 * End to end: a run's workspace is removed once the run ends (after the
 * retention its final status gets), by the worker's periodic sweep.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { eventually } from "../runtime/testing.ts";
import { withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("a succeeded run's workspace is removed when it ends; a failed run's is kept for AOS_FAILED_WORKSPACE_RETENTION_S", async () => {
  const writeAndFinish = reply(
    toolCall("write_file", { path: "out.txt", content: "x\n" }),
    toolCall("finish", { summary: "wrote out.txt" }),
  );
  await withHarness({
    script: {
      se: [writeAndFinish, writeAndFinish],
      po: [poVerdict("PASS", "ok")],
    },
    env: {
      AOS_WORKSPACE_SWEEP_MS: "100",
      AOS_WORKSPACE_RETENTION_S: "0",
      AOS_FAILED_WORKSPACE_RETENTION_S: "3600",
    },
  }, async (h) => {
    const root = `${h.dir}/workspaces`;
    const passed = await h.submit(
      h.workOrder({ acceptance_commands: ["true"] }),
    );
    assertEquals((await h.waitForEnd(passed.id)).status, "SUCCEEDED");
    const failed = await h.submit(h.workOrder({
      max_iterations: 1,
      acceptance_commands: ["false"],
    }));
    assertEquals((await h.waitForEnd(failed.id)).status, "FAILED");
    await eventually(
      async () => (await exists(`${root}/${passed.id}`)) ? undefined : true,
      10_000,
      "the succeeded run's workspace to be removed",
    );
    // Several sweeps later the failed run's workspace (and the mirror it
    // borrows objects from) are still there.
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(await exists(`${root}/${failed.id}/.git`), true);
    assertEquals(await exists(`${root}/.cache`), true);
  });
});
