/**
 * End to end: a run builds, tests and pushes on the base commit it resolved
 * at the start, even when the clone branch moves upstream meanwhile and the
 * workspace has to be rebuilt from nothing (a takeover by another worker, a
 * fresh WORKSPACE_ROOT).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { git, withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";

Deno.test("a moved clone branch and a fresh WORKSPACE_ROOT: iteration 2 and the push stay on the resolved base", async () => {
  let movedTip: string | null = null;
  await withHarness({
    script: {
      se: [
        reply(
          toolCall("write_file", { path: "one.txt", content: "1\n" }),
          toolCall("finish", { summary: "first" }),
        ),
        reply(
          toolCall("write_file", { path: "two.txt", content: "2\n" }),
          toolCall("finish", { summary: "second" }),
        ),
      ],
      po: [poVerdict("FAIL", "add two.txt too"), poVerdict("PASS", "done")],
    },
    // While each PO review is in flight (no workspace in use): the first time
    // main moves upstream; each time every workspace and mirror is wiped.
    beforeModelReply: async (h, agent, n) => {
      if (agent !== "po") return;
      if (n === 1) {
        const work = `${h.dir}/upstream`;
        await git(h.dir, "clone", "--quiet", h.remote, work);
        await Deno.writeTextFile(`${work}/upstream.txt`, "moved\n");
        await git(work, "add", "-A");
        await git(work, "commit", "--quiet", "-m", "upstream moves on");
        await git(work, "push", "--quiet", "origin", "main");
        movedTip = (await git(work, "rev-parse", "HEAD")).trim();
      }
      await Deno.remove(`${h.dir}/workspaces`, { recursive: true });
    },
  }, async (h) => {
    const base = (await git(h.dir, "--git-dir", h.remote, "rev-parse", "main"))
      .trim();
    const run = await h.submit(h.workOrder({
      push_branch: "aos/on-base",
      max_iterations: 2,
      acceptance_commands: ["test -f one.txt"],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assert(movedTip !== null && movedTip !== base, "main did not move");

    const report = JSON.parse(new TextDecoder().decode(
      (await h.svc.store.getArtifact(run.id, "tool_report_iter_2.json")).body,
    ));
    assertEquals(report.base_commit, base, "iteration 2 ran on another base");
    const parent = (await git(
      h.dir,
      "--git-dir",
      h.remote,
      "rev-parse",
      "aos/on-base^",
    )).trim();
    assertEquals(parent, base, "the pushed commit is not on the tested base");
    assertEquals(await h.remoteTree("aos/on-base"), [
      "README.md",
      "calculator.py",
      "one.txt",
      "two.txt",
    ]);
  });
});
