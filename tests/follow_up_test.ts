/**
 * Follow-up runs end to end (issue #23 point 1): POST /runs/{id}/revise on a
 * real bare remote: a run that pushed is continued on its branch, one that did
 * not from its base commit; a live run is refused 409 before any change.
 */
import assert from "node:assert/strict";
import { describe, runAos } from "../cli/testing.ts";
import { join } from "node:path";
import { git as gitIn } from "../lib/git/mod.ts";
import { git, type Harness, withHarness } from "./support/harness.ts";
import { startFakeForge } from "./support/fake_forge.ts";
import { addRepo, startGitHttpServer } from "./support/git_http_server.ts";
import { PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { finishCall, poVerdict, writeFileCall } from "../lib/llm/testing.ts";

const NOTES = {
  tool_calls: [writeFileCall("NOTES.md", "notes\n"), finishCall("notes added")],
};

async function revise(
  h: Harness,
  id: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.svc.url}/runs/${id}/revise`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The text of every message of the `n`-th (0-based) SE request. */
function seRequestText(h: Harness, n: number): string {
  const se = h.model.requests.filter((r) => r.agent === "se");
  return JSON.stringify(se[n]?.body ?? null);
}

Deno.test("revise: a follow-up of a run that pushed starts from its branch, pushes on top and links both ways; a live run is refused 409", async () => {
  const refusedWhileRunning: number[] = [];
  await withHarness({
    script: { se: [WRITE_CALCULATOR, NOTES], po: [PASS, PASS] },
    beforeModelReply: async (h, agent, n) => {
      if (agent !== "se" || n !== 1) return;
      const { runs } = await h.svc.store.listRuns({ limit: 1, offset: 0 });
      const live = await revise(h, runs[0]!.id, { feedback: "too early" });
      refusedWhileRunning.push(live.status);
      assert.match(
        String(live.body.error && JSON.stringify(live.body.error)),
        /RUNNING|PENDING/,
      );
    },
  }, async (h) => {
    const parent = await h.waitForEnd(
      (await h.submit(
        h.workOrder({ title: "Calc", push_branch: "aos/f" }, "Write add()."),
      )).id,
    );
    assert.equal(parent.status, "SUCCEEDED", parent.error ?? "");
    assert.deepEqual(refusedWhileRunning, [409]);
    const parentTip =
      (await git(h.dir, "--git-dir", h.remote, "rev-parse", "aos/f")).trim();

    // Bad requests: unknown run, empty feedback, unknown field.
    assert.equal(
      (await revise(h, crypto.randomUUID(), { feedback: "x" })).status,
      404,
    );
    const empty = await revise(h, parent.id, { feedback: "   " });
    assert.equal(empty.status, 422);
    assert.match(JSON.stringify(empty.body), /feedback/);
    assert.equal(
      (await revise(h, parent.id, { feedback: "x", push_branch: "main" }))
        .status,
      422,
    );
    assert.equal(h.model.requests.filter((r) => r.agent === "se").length, 1);

    const created = await revise(h, parent.id, {
      feedback: "Also add NOTES.md",
      max_iterations: 2,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.parent_run_id, parent.id);
    assert.equal(created.body.max_iterations, 2);
    const child = await h.waitForEnd(String(created.body.id));
    assert.equal(child.status, "SUCCEEDED", child.error ?? "");
    assert.equal(child.push_branch, "aos/f");

    // Pushed on top of the parent's commit, with both runs' files.
    const childParent =
      (await git(h.dir, "--git-dir", h.remote, "rev-parse", "aos/f^")).trim();
    assert.equal(childParent, parentTip);
    assert.equal(await h.remoteFile("aos/f", "NOTES.md"), "notes\n");
    assert.notEqual(await h.remoteFile("aos/f", "calculator.py"), null);

    // The follow-up's SE saw the task, the parent's result and diff, and the feedback.
    const text = seRequestText(h, 1);
    assert.match(text, /Write add\(\)\./);
    assert.match(text, new RegExp(`Follow-up of run ${parent.id}`));
    assert.match(text, /Decision: PASS, pushed to aos\/f/);
    assert.match(text, /\+\+\+ b\/calculator\.py/);
    assert.match(text, /Also add NOTES\.md/);
    assert.match(text, /starts from branch 'aos\/f'/);

    // Links both ways.
    const childEvents = await h.svc.store.listEvents(child.id);
    assert.equal(
      childEvents.find((e) => e.kind === "RUN_CREATED")?.payload.parent_run_id,
      parent.id,
    );
    const parentEvents = await h.svc.store.listEvents(parent.id);
    assert.deepEqual(
      parentEvents.filter((e) => e.kind === "FOLLOW_UP").map((e) => e.payload),
      [{ run_id: child.id }],
    );
    assert.equal((await h.svc.store.getRun(parent.id)).parent_run_id, null);
  });
});

Deno.test("revise: a follow-up of a run that did not push starts from the parent's base commit and is told the changes are not there", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR, NOTES], po: [PASS, PASS] },
  }, async (h) => {
    const parent = await h.waitForEnd(
      (await h.submit(h.workOrder({ title: "Calc" }, "Write add()."))).id,
    );
    assert.equal(parent.status, "SUCCEEDED", parent.error ?? "");
    const base = (await h.svc.store.listEvents(parent.id)).find((e) =>
      e.kind === "WORKSPACE_READY"
    )?.payload.base_commit;
    assert.equal(typeof base, "string");
    const created = await revise(h, parent.id, { feedback: "Add notes" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.clone_branch, base);
    assert.equal(created.body.push_branch, null);
    const child = await h.waitForEnd(String(created.body.id));
    assert.equal(child.status, "SUCCEEDED", child.error ?? "");
    const childBase = (await h.svc.store.listEvents(child.id)).find((e) =>
      e.kind === "WORKSPACE_READY"
    )?.payload.base_commit;
    assert.equal(childBase, base);
    const text = seRequestText(h, 1);
    assert.match(text, /did not push/);
    assert.match(text, /\+\+\+ b\/calculator\.py/);
    assert.match(text, /Add notes/);
  });
});

Deno.test("aos revise: the argument or --file starts a follow-up that pushes on top; a live run and empty feedback are refused with a clear message", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR, NOTES], po: [PASS, PASS] },
  }, async (h) => {
    const parent = await h.waitForEnd(
      (await h.submit(h.workOrder({ push_branch: "aos/cli" }, "Write add().")))
        .id,
    );
    assert.equal(parent.status, "SUCCEEDED", parent.error ?? "");
    const env = h.cliEnv;

    const empty = await runAos(["revise", parent.id, "  "], { env });
    assert.equal(empty.code, 2, describe(empty));
    assert.match(empty.stderr, /Say what to change/);
    const both = await runAos(
      ["revise", parent.id, "x", "--file", `${h.dir}/none.md`],
      { env },
    );
    assert.equal(both.code, 2, describe(both));
    assert.match(both.stderr, /not both/);
    const fifo = `${h.dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const notFile = await runAos(["revise", parent.id, "--file", fifo], {
      env,
    });
    assert.equal(notFile.code, 2, describe(notFile));
    assert.match(notFile.stderr, /not a regular file/);
    const unknown = await runAos(
      ["revise", crypto.randomUUID(), "x"],
      { env },
    );
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not found/i);

    const file = `${h.dir}/review.md`;
    await Deno.writeTextFile(file, "Please add NOTES.md too.\n");
    const started = await runAos(
      ["revise", parent.id, "--file", file, "--json"],
      { env },
    );
    assert.equal(started.code, 0, describe(started));
    const child = JSON.parse(started.stdout) as {
      id: string;
      parent_run_id: string;
    };
    assert.equal(child.parent_run_id, parent.id);
    const done = await h.waitForEnd(child.id);
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
    assert.equal(await h.remoteFile("aos/cli", "NOTES.md"), "notes\n");
    assert.match(seRequestText(h, 1), /Please add NOTES\.md too\./);
  });
});

Deno.test("dashboard: a finished run's Request changes form (same origin + CSRF) starts a follow-up; the pages link parent and follow-up", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR, NOTES], po: [PASS, PASS] },
  }, async (h) => {
    const parent = await h.waitForEnd(
      (await h.submit(h.workOrder({ push_branch: "aos/ui" }, "Write add().")))
        .id,
    );
    assert.equal(parent.status, "SUCCEEDED", parent.error ?? "");
    const page = await fetch(`${h.svc.url}/ui/runs/${parent.id}`);
    const html = await page.text();
    assert.match(html, new RegExp(`action="/ui/runs/${parent.id}/revise"`));
    const csrf = html.match(/<meta name="csrf-token" content="([^"]+)"/)![1]!;
    const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0])
      .join("; ");
    const post = (body: Record<string, string>, headers = {}) =>
      fetch(`${h.svc.url}/ui/runs/${parent.id}/revise`, {
        method: "POST",
        redirect: "manual",
        headers: {
          cookie,
          "content-type": "application/x-www-form-urlencoded",
          ...headers,
        },
        body: new URLSearchParams(body).toString(),
      });

    // Attacks: no token, another origin; then an empty form.
    const noToken = await post({ feedback: "x" });
    assert.equal(noToken.status, 403);
    await noToken.body?.cancel();
    const crossSite = await post({ _csrf: csrf, feedback: "x" }, {
      origin: "https://evil.example",
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    const empty = await post({ _csrf: csrf, feedback: " " });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /feedback/);
    const badMax = await post({
      _csrf: csrf,
      feedback: "x",
      max_iterations: "99",
    });
    assert.equal(badMax.status, 400);
    await badMax.body?.cancel();
    assert.equal(h.model.requests.filter((r) => r.agent === "se").length, 1);

    const ok = await post({
      _csrf: csrf,
      feedback: "Add NOTES.md",
      max_iterations: "3",
    });
    assert.equal(ok.status, 303);
    const location = ok.headers.get("location") ?? "";
    const childId = location.replace("/ui/runs/", "");
    const child = await h.waitForEnd(childId);
    assert.equal(child.status, "SUCCEEDED", child.error ?? "");
    assert.equal(child.parent_run_id, parent.id);
    assert.equal(child.max_iterations, 3);
    assert.equal(await h.remoteFile("aos/ui", "NOTES.md"), "notes\n");

    const childHtml = await (await fetch(`${h.svc.url}${location}`)).text();
    assert.match(
      childHtml,
      new RegExp(`Follow-up of <a href="/ui/runs/${parent.id}"`),
    );
    const parentHtml = await (await fetch(`${h.svc.url}/ui/runs/${parent.id}`))
      .text();
    assert.match(parentHtml, new RegExp(`href="/ui/runs/${childId}"`));
  });
});

Deno.test("revise: the follow-up of a run that opened a pull request updates the same pull request (base kept) on a real https git host", async () => {
  const token = "writer-TOKEN-5a4b3c2d1e0f";
  const server = await startGitHttpServer({
    reader: "reader-TOKEN-0f1e2d3c4b5a",
    writer: token,
  });
  const forge = startFakeForge("gitea", token);
  try {
    await addRepo(server, "fu", { "README.md": "# fu\n" });
    const repo = `${server.httpsOrigin}${server.path("fu")}`;
    await withHarness({
      script: { se: [WRITE_CALCULATOR, NOTES], po: [PASS, PASS] },
      env: {
        AOS_REPO_ALLOWLIST: `${server.httpsOrigin}/`,
        AOS_GIT_CREDENTIALS: JSON.stringify({
          [server.httpsHost]: {
            token,
            kind: "gitea",
            username: "writer",
            api: forge.api,
            insecure_http: true,
          },
        }),
      },
    }, async (h) => {
      const parent = await h.waitForEnd(
        (await h.submit(h.workOrder({
          repo,
          push_branch: "aos/pr",
          pull_request: true,
        }, "Write add()."))).id,
      );
      assert.equal(parent.status, "SUCCEEDED", parent.error ?? "");
      assert.ok(parent.pull_request_url);
      const created = await revise(h, parent.id, { feedback: "Add notes" });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const child = await h.waitForEnd(String(created.body.id));
      assert.equal(child.status, "SUCCEEDED", child.error ?? "");
      assert.equal(child.pull_request_url, parent.pull_request_url);
      const kinds = (await h.svc.store.listEvents(child.id)).map((e) => e.kind);
      assert.ok(kinds.includes("PR_UPDATED"), kinds.join(","));
      assert.ok(!kinds.includes("PR_OPENED"));
      assert.equal(forge.pulls.length, 1);
      assert.equal(forge.calls.filter((c) => c.method === "POST").length, 1);
      const pushed = await gitIn(
        ["show", "aos/pr:NOTES.md"],
        { cwd: join(server.reposDir, "fu.git") },
      );
      assert.equal(pushed.stdout, "notes\n");
    });
  } finally {
    await forge.close();
    await server.stop();
  }
});

Deno.test("revise: a follow-up of a FAILED run gets the diff its last iteration measured (no diff.patch was written)", async () => {
  await withHarness({
    script: {
      se: [WRITE_CALCULATOR, NOTES],
      po: [poVerdict("FAIL", "Needs notes"), PASS],
    },
  }, async (h) => {
    const parent = await h.waitForEnd(
      (await h.submit(h.workOrder({ max_iterations: 1 }, "Write add()."))).id,
    );
    assert.equal(parent.status, "FAILED");
    const created = await revise(h, parent.id, { feedback: "Add notes" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const child = await h.waitForEnd(String(created.body.id));
    assert.equal(child.status, "SUCCEEDED", child.error ?? "");
    const text = seRequestText(h, 1);
    assert.match(text, /ended FAILED/);
    assert.match(text, /\+\+\+ b\/calculator\.py/);
    assert.match(text, /Needs notes/);
  });
});
