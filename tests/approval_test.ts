/**
 * approval: before_push end to end (real git, scripted model): a PASS waits in
 * AWAITING_APPROVAL with nothing pushed and nothing leased; approve pushes and
 * ends SUCCEEDED, reject ends REJECTED with nothing pushed; the wait survives a
 * SIGKILL of the service.
 */
import assert from "node:assert/strict";
import type { RunRecord } from "../lib/store/mod.ts";
import { closeKv, openKv, RunStore } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/testing.ts";
import { runAos } from "../cli/testing.ts";
import { calculatorRun, PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { git, type Harness, seedRepo, withHarness } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import {
  finishCall,
  startScriptedModel,
  writeFileCall,
} from "../lib/llm/testing.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
  waitForRunEnd,
} from "./support/server_process.ts";
import { startWebhookReceiver } from "./support/webhook_receiver.ts";

const SECRET = "whsec-APPROVAL-SECRET-8c1e2d3f4a";

/** POST /runs/{id}/{action} with an optional JSON body. */
async function decide(
  url: string,
  id: string,
  action: "approve" | "reject",
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/runs/${id}/${action}`, {
    method: "POST",
    ...(body === undefined ? {} : {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  return { status: res.status, body: await res.json() };
}

async function runStatus(url: string, id: string): Promise<RunRecord> {
  return await (await fetch(`${url}/runs/${id}`)).json();
}

/** Waits for the run to reach AWAITING_APPROVAL (failing fast if it ends instead). */
async function awaitingApproval(url: string, id: string): Promise<RunRecord> {
  return await until("AWAITING_APPROVAL", async () => {
    const run = await runStatus(url, id);
    if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status)) {
      throw new Error(`Run ended ${run.status}: ${run.error}`);
    }
    return run.status === "AWAITING_APPROVAL" ? run : null;
  }, 60_000);
}

/** Runtime keys (lease, mail) held by any actor of run `id`. */
async function heldKeys(kv: Deno.Kv, id: string): Promise<string[]> {
  const held: string[] = [];
  for (const part of ["lease", "mail"]) {
    for await (const entry of kv.list({ prefix: ["rt", part] })) {
      if (String(entry.key[3]).startsWith(id)) {
        held.push(entry.key.map(String).join("/"));
      }
    }
  }
  return held;
}

const branchExists = async (h: Harness, branch: string) =>
  (await h.remoteTree(branch)) !== null;

Deno.test("approval: before_push waits unpushed and unleased, approve pushes (409 while RUNNING and once ended), reject pushes nothing", async () => {
  const receiver = startWebhookReceiver();
  let approveWhileRunning: number | null = null;
  try {
    await withHarness({
      script: {
        se: [WRITE_CALCULATOR, WRITE_CALCULATOR, WRITE_CALCULATOR, {
          tool_calls: [
            writeFileCall(
              "calculator.py",
              "def add(a, b):\n    return b + a\n",
            ),
            finishCall("follow-up"),
          ],
        }],
        po: [PASS, PASS, PASS, PASS],
      },
      env: {
        AOS_WEBHOOK_URL: receiver.url,
        AOS_WEBHOOK_SECRET: SECRET,
        AOS_WEBHOOK_EVENTS: "run.awaiting_approval,run.finished",
        AOS_WEBHOOK_ALLOW_PRIVATE: "true",
      },
      beforeModelReply: async (h, agent, n) => {
        if (agent !== "se" || n !== 1) return;
        const [run] =
          (await h.svc.store.listRuns({ limit: 1, offset: 0 })).runs;
        approveWhileRunning = (await decide(h.svc.url, run!.id, "approve"))
          .status;
      },
    }, async (h) => {
      const url = h.svc.url;
      const order = (branch: string) =>
        h.workOrder({ push_branch: branch, approval: "before_push" });

      // 1. A PASS waits: nothing on the remote, no lease or mail held.
      const a = await h.submit(order("aos/approved"));
      const waiting = await awaitingApproval(url, a.id);
      assert.equal(approveWhileRunning, 409, "approve while RUNNING");
      assert.equal(waiting.finished_at, null);
      assert.equal(await branchExists(h, "aos/approved"), false);
      assert.deepEqual(
        await until("no lease", async () => {
          const held = await heldKeys(h.svc.kv, a.id);
          return held.length === 0 ? held : null;
        }),
        [],
      );
      const counts = await h.svc.store.counts();
      assert.equal(counts.AWAITING_APPROVAL, 1);
      assert.equal(counts.RUNNING, 0);
      assert.deepEqual(
        (await h.svc.store.listRuns({
          limit: 10,
          offset: 0,
          status: "AWAITING_APPROVAL",
        })).runs
          .map((r) => r.id),
        [a.id],
      );
      const hold = (await h.svc.store.listEvents(a.id)).find((e) =>
        e.kind === "AWAITING_APPROVAL"
      );
      assert.match(String(hold?.payload.commit), /^[0-9a-f]{40}$/);
      await until(
        "the run.awaiting_approval webhook",
        () =>
          receiver.received.some((r) =>
            r.headers["x-aos-event"] === "run.awaiting_approval" &&
            JSON.parse(r.body).run.id === a.id
          ),
      );

      // A body that is not { comment? } is refused, naming the field.
      const bad = await decide(url, a.id, "approve", { comment: 5 });
      assert.equal(bad.status, 422, JSON.stringify(bad.body));
      assert.match(JSON.stringify(bad.body), /comment/);
      const unknown = await decide(url, a.id, "approve", { force: true });
      assert.equal(unknown.status, 422);
      assert.equal(
        (await decide(url, "0190aaaa-0000-7000-8000-000000000000", "approve"))
          .status,
        404,
      );

      // 2. Approve: the commit the hold named is pushed; SUCCEEDED; a second approve is 409.
      // (With the CLI, as a reviewer would.)
      const approved = await runAos(["approve", a.id, "--comment", "lgtm"], {
        env: h.cliEnv,
      });
      assert.equal(approved.code, 0, approved.stderr);
      assert.match(approved.stdout, new RegExp(`Run:\\s+${a.id}`));
      const done = await h.waitForEnd(a.id);
      assert.equal(done.status, "SUCCEEDED", done.error ?? "");
      assert.equal(
        done.result_summary,
        "Decision: PASS, pushed to aos/approved",
      );
      assert.equal(
        (await git(h.dir, "--git-dir", h.remote, "rev-parse", "aos/approved"))
          .trim(),
        hold?.payload.commit,
      );
      assert.equal((await decide(url, a.id, "approve")).status, 409);
      assert.equal((await decide(url, a.id, "reject")).status, 409);
      const events = await h.svc.store.listEvents(a.id);
      assert.equal(
        events.find((e) => e.kind === "RUN_APPROVED")?.payload.comment,
        "lgtm",
      );
      const kinds = events.map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === "RUN_APPROVED").length, 1);
      assert.equal(kinds.filter((k) => k === "PUSH").length, 1);

      // 3. Reject with a comment: REJECTED, nothing pushed, the comment kept.
      const b = await h.submit(order("aos/rejected"));
      await awaitingApproval(url, b.id);
      // `aos status` says what the run waits for and how to decide.
      const status = await runAos(["status", b.id], { env: h.cliEnv });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /Status:\s+AWAITING_APPROVAL/);
      assert.match(
        status.stdout,
        /Result:\s+Decision: PASS, awaiting approval before push to aos\/rejected/,
      );
      assert.match(status.stdout, new RegExp(`aos approve ${b.id}`));

      // Through the run page's Reject form: refused without the CSRF token, applied with it.
      const page = await fetch(`${url}/ui/runs/${b.id}`);
      const html = await page.text();
      assert.match(html, new RegExp(`action="/ui/runs/${b.id}/approve"`));
      assert.match(html, /Approve and push/);
      const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? "";
      const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0])
        .join("; ");
      const forged = await fetch(`${url}/ui/runs/${b.id}/reject`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "comment=forged",
        redirect: "manual",
      });
      assert.equal(forged.status, 403);
      await forged.body?.cancel();
      assert.equal((await runStatus(url, b.id)).status, "AWAITING_APPROVAL");
      const rejected = await fetch(`${url}/ui/runs/${b.id}/reject`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie,
        },
        body: new URLSearchParams({ _csrf: csrf, comment: "wrong approach" })
          .toString(),
        redirect: "manual",
      });
      assert.equal(rejected.status, 303, await rejected.text());
      // The comment started a follow-up (the page redirects to it), from the unpushed base.
      const followUpId = rejected.headers.get("location")?.split("/").pop();
      assert.notEqual(followUpId, b.id);
      const end = await h.waitForEnd(b.id);
      assert.equal(end.status, "REJECTED");
      assert.equal(end.result_summary, "Rejected: wrong approach");
      assert.equal(await branchExists(h, "aos/rejected"), false);
      assert.equal((await decide(url, b.id, "approve")).status, 409);
      const rejectedEvent = (await h.svc.store.listEvents(b.id)).find((e) =>
        e.kind === "RUN_REJECTED"
      );
      assert.equal(rejectedEvent?.payload.comment, "wrong approach");
      const followUp = await awaitingApproval(url, followUpId!);
      assert.equal(followUp.parent_run_id, b.id);
      assert.equal(followUp.push_branch, "aos/rejected");
      assert.equal(await branchExists(h, "aos/rejected"), false);

      // 4. Reject without a comment (API): REJECTED, no follow-up.
      const plain = await decide(url, followUpId!, "reject");
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assert.equal(plain.body.status, "REJECTED");
      assert.equal(plain.body.result_summary, "Rejected");
      assert.equal("follow_up_run_id" in plain.body, false);
      // `aos approve` on an ended run: the server's 409, said plainly, non-zero exit.
      const late = await runAos(["approve", followUpId!], { env: h.cliEnv });
      assert.notEqual(late.code, 0);
      assert.match(late.stderr, /REJECTED, not AWAITING_APPROVAL/);

      const after = await h.svc.store.counts();
      assert.equal(after.AWAITING_APPROVAL, 0);
      assert.equal(after.SUCCEEDED, 1);
      assert.equal(after.REJECTED, 2);
      assert.equal(after.total, 3);
      assert.deepEqual(
        (await h.svc.store.listRuns({
          limit: 10,
          offset: 0,
          status: "REJECTED",
        })).runs.map((r) => r.id),
        [followUpId, b.id],
      );
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("approval: a run AWAITING_APPROVAL survives SIGKILL of the service, and approval then pushes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_approval_" });
  const kvStore = await testKvPath(dir);
  const model = await startScriptedModel({
    se: [WRITE_CALCULATOR],
    po: [PASS],
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-approval-test",
    });
    server = await ServiceProcess.start(env);
    const id = await postRun(server.url, {
      ...calculatorRun(remote, "aos/durable"),
      approval: "before_push",
    });
    await awaitingApproval(server.url, id);
    await server.restart(env);
    // Restarted: still waiting, and still nothing pushed.
    assert.equal((await runStatus(server.url, id)).status, "AWAITING_APPROVAL");
    const ls = await git(dir, "--git-dir", remote, "branch", "--list");
    assert.doesNotMatch(ls, /aos\/durable/);
    assert.equal((await decide(server.url, id, "approve")).status < 300, true);
    const run = await waitForRunEnd(server.url, id, 60_000);
    await server.stop();
    assert.equal(run.status, "SUCCEEDED", run.error ?? "");
    assert.match(
      await git(dir, "--git-dir", remote, "branch", "--list"),
      /aos\/durable/,
    );
    const kv = await openKv(kvStore.path);
    try {
      const store = new RunStore(kv);
      const kinds = (await store.listEvents(id)).map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === "AWAITING_APPROVAL").length, 1);
      assert.equal(kinds.filter((k) => k === "PUSH").length, 1);
      assert.equal(kinds.filter((k) => k === "RUN_END").length, 1);
      const counts = await store.counts();
      assert.equal(counts.SUCCEEDED, 1);
      assert.equal(counts.AWAITING_APPROVAL, 0);
      assert.equal(counts.total, 1);
    } finally {
      await closeKv(kv);
    }
  } finally {
    await server?.stop();
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
