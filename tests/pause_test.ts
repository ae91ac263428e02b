/**
 * on_budget: pause end to end (real git, scripted model): a run reaching its
 * token budget stops PAUSED mid-turn holding nothing, refuses a resume that
 * does not raise it, goes on after `aos resume` from where it stopped without
 * repeating a model call; a paused run can be cancelled, survives SIGKILL,
 * and its wall-time clock stops while it waits.
 */
import assert from "node:assert/strict";
import type { RunRecord } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/testing.ts";
import { runAos } from "../cli/testing.ts";
import { CALCULATOR_PY, calculatorRun, PASS } from "./support/calculator.ts";
import { artifactJson, seedRepo, withHarness } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import {
  finishCall,
  reply,
  type ScriptedReply,
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

/** The SE's first reply: writes calculator.py and reports 9,900 tokens, so the next request would pass 10,000. */
const EXPENSIVE_WRITE: ScriptedReply = {
  ...reply(writeFileCall("calculator.py", CALCULATOR_PY)),
  usage: { prompt_tokens: 9_000, completion_tokens: 900, total_tokens: 9_900 },
};
const FINISH = reply(finishCall("add()"));

async function runStatus(url: string, id: string): Promise<RunRecord> {
  return await (await fetch(`${url}/runs/${id}`)).json();
}

/** POST /runs/{id}/resume with a JSON body (or none). */
async function resume(
  url: string,
  id: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/runs/${id}/resume`, {
    method: "POST",
    ...(body === undefined ? {} : {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  return { status: res.status, body: await res.json() };
}

/** Waits for the run to be PAUSED (failing fast if it ends instead). */
async function paused(url: string, id: string): Promise<RunRecord> {
  return await until("PAUSED", async () => {
    const run = await runStatus(url, id);
    if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status)) {
      throw new Error(`Run ended ${run.status}: ${run.error}`);
    }
    return run.status === "PAUSED" ? run : null;
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

const seRequests = (model: { requests: { agent: string }[] }) =>
  model.requests.filter((r) => r.agent === "se").length;

Deno.test("pause: a run paused at max_total_tokens holds nothing, refuses a resume that does not raise it, and finishes after aos resume with no model call repeated", async () => {
  const receiver = startWebhookReceiver();
  try {
    await withHarness({
      script: {
        se: [EXPENSIVE_WRITE, FINISH, EXPENSIVE_WRITE, FINISH, EXPENSIVE_WRITE],
        po: [PASS, PASS],
      },
      env: {
        AOS_WEBHOOK_URL: receiver.url,
        AOS_WEBHOOK_SECRET: "whsec-PAUSE-SECRET-5d2c",
        AOS_WEBHOOK_EVENTS: "run.paused,run.finished",
        AOS_WEBHOOK_ALLOW_PRIVATE: "true",
      },
    }, async (h) => {
      const url = h.svc.url;
      const order = h.workOrder({
        on_budget: "pause",
        max_total_tokens: 10_000,
        acceptance_commands: [
          `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
        ],
      });
      const a = await h.submit(order);
      const stopped = await paused(url, a.id);
      assert.equal(seRequests(h.model), 1);
      assert.equal(stopped.usage.total_tokens, 9_900);
      assert.equal(stopped.finished_at, null);
      assert.equal(stopped.pause?.reason, "max_total_tokens");
      assert.equal(stopped.pause?.limits.max_total_tokens, 10_000);
      // Nothing leased or queued: a paused run holds no worker.
      assert.deepEqual(
        await until("no lease", async () => {
          const held = await heldKeys(h.svc.kv, a.id);
          return held.length === 0 ? held : null;
        }),
        [],
      );
      const counts = await h.svc.store.counts();
      assert.equal(counts.PAUSED, 1);
      assert.equal(counts.RUNNING, 0);
      const event = (await h.svc.store.listEvents(a.id)).find((e) =>
        e.kind === "RUN_PAUSED"
      );
      assert.equal(event?.payload.reason, "max_total_tokens");
      assert.equal(event?.payload.resumes_at, "engineering");
      await until(
        "the run.paused webhook",
        () =>
          receiver.received.some((r) =>
            r.headers["x-aos-event"] === "run.paused" &&
            JSON.parse(r.body).run.id === a.id
          ),
      );
      // `aos status` says what it waits for and how to go on.
      const status = await runAos(["status", a.id], { env: h.cliEnv });
      assert.match(status.stdout, /Status:\s+PAUSED/);
      assert.match(status.stdout, new RegExp(`aos resume ${a.id} --tokens N`));

      // Refusals, each naming the field: not raised, a wrong type, out of range, unknown, none.
      for (
        const [body, field] of [
          [{ max_total_tokens: 10_000 }, "max_total_tokens"],
          [{ max_total_tokens: "lots" }, "max_total_tokens"],
          [
            { max_total_tokens: 100_000, max_wall_time_s: 0 },
            "max_wall_time_s",
          ],
          [{ max_total_tokens: 100_000, max_cost_usd: -1 }, "max_cost_usd"],
          [{ max_total_tokens: 100_000, force: true }, "force"],
          [{ max_cost_usd: 5 }, "max_total_tokens"],
        ] as const
      ) {
        const refused = await resume(url, a.id, body);
        assert.equal(refused.status, 422, JSON.stringify(refused.body));
        assert.match(JSON.stringify(refused.body), new RegExp(field));
      }
      assert.equal(
        (await resume(url, "0190aaaa-0000-7000-8000-000000000000", {
          max_total_tokens: 100_000,
        })).status,
        404,
      );
      const noFlags = await runAos(["resume", a.id], { env: h.cliEnv });
      assert.equal(noFlags.code, 2);
      assert.equal((await runStatus(url, a.id)).status, "PAUSED");

      // Raised with the CLI: the same turn goes on with its next call.
      const resumed = await runAos(["resume", a.id, "--tokens", "100000"], {
        env: h.cliEnv,
      });
      assert.equal(resumed.code, 0, resumed.stderr);
      const done = await h.waitForEnd(a.id);
      assert.equal(done.status, "SUCCEEDED", done.error ?? "");
      assert.equal(seRequests(h.model), 2, "no SE model call repeated");
      assert.equal(done.pause, null);
      // The turn's usage counted once: the record is the sum of the exchanges.
      const se = await artifactJson(h, a.id, "llm_iter_1_se.json");
      const po = await artifactJson(h, a.id, "llm_iter_1_po.json");
      const exchanges = (se.usage as { total_tokens: number }).total_tokens +
        (po.usage as { total_tokens: number }).total_tokens;
      assert.equal(done.usage.total_tokens, exchanges);
      const kinds = (await h.svc.store.listEvents(a.id)).map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === "RUN_PAUSED").length, 1);
      assert.equal(kinds.filter((k) => k === "RUN_RESUMED").length, 1);
      assert.equal(kinds.filter((k) => k === "SE_OUTPUT").length, 1);
      const resumedEvent = (await h.svc.store.listEvents(a.id)).find((e) =>
        e.kind === "RUN_RESUMED"
      );
      assert.deepEqual(resumedEvent?.payload.limits, {
        max_total_tokens: 100_000,
        max_cost_usd: null,
        max_wall_time_s: 1_800,
      });
      assert.equal(
        (await resume(url, a.id, { max_total_tokens: 1e6 })).status,
        409,
      );

      // The run page's Resume form: refused without the CSRF token, applied with it.
      const b = await h.submit(order);
      await paused(url, b.id);
      const page = await fetch(`${url}/ui/runs/${b.id}`);
      const html = await page.text();
      assert.match(html, new RegExp(`action="/ui/runs/${b.id}/resume"`));
      assert.match(html, /name="max_total_tokens"[^>]*value="10000"/);
      const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? "";
      const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0])
        .join("; ");
      const form = (fields: Record<string, string>, withCookie = true) =>
        fetch(`${url}/ui/runs/${b.id}/resume`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            ...(withCookie ? { cookie } : {}),
          },
          body: new URLSearchParams(fields).toString(),
          redirect: "manual",
        });
      const forged = await form({ max_total_tokens: "100000" }, false);
      assert.equal(forged.status, 403);
      await forged.body?.cancel();
      const low = await form({ _csrf: csrf, max_total_tokens: "10000" });
      assert.equal(low.status, 400, "the dashboard answers a bad form 400");
      assert.match(await low.text(), /max_total_tokens/);
      assert.equal((await runStatus(url, b.id)).status, "PAUSED");
      const raised = await form({
        _csrf: csrf,
        max_total_tokens: "100000",
        max_cost_usd: "",
        max_wall_time_s: "1800",
      });
      assert.equal(raised.status, 303, await raised.text());
      assert.equal((await h.waitForEnd(b.id)).status, "SUCCEEDED");

      // Cancel works on a paused run.
      const c = await h.submit(order);
      await paused(url, c.id);
      const cancel = await fetch(`${url}/runs/${c.id}/cancel`, {
        method: "POST",
      });
      assert.equal(cancel.status, 200, await cancel.text());
      const cancelled = await h.waitForEnd(c.id);
      assert.equal(cancelled.status, "CANCELLED");
      assert.equal(
        (await resume(url, c.id, { max_total_tokens: 100_000 })).status,
        409,
      );
      const after = await h.svc.store.counts();
      assert.equal(after.PAUSED, 0);
      assert.equal(after.CANCELLED, 1);
      assert.equal(after.SUCCEEDED, 2);
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("pause: the time a run spends PAUSED does not count against max_wall_time_s", async () => {
  await withHarness({
    // Slow model: the first reply takes longer than the whole wall-time budget.
    script: {
      se: [
        {
          delayMs: 1_500,
          then: reply(writeFileCall("calculator.py", CALCULATOR_PY)),
        },
        FINISH,
      ],
      po: [PASS],
    },
  }, async (h) => {
    const url = h.svc.url;
    const a = await h.submit(
      h.workOrder({ on_budget: "pause", max_wall_time_s: 1 }),
    );
    const stopped = await paused(url, a.id);
    assert.equal(stopped.pause?.reason, "max_wall_time_s");
    const used = stopped.pause?.wall_time_used_s ?? 0;
    assert.ok(used >= 1, `worked ${used} s`);
    // Wait (paused) longer than the margin the new limit leaves.
    const pausedAt = Date.parse(stopped.pause?.paused_at ?? "");
    await until("2.5 s paused", () => Date.now() - pausedAt >= 2_500, 10_000);
    // One second more than the time worked: accepted only if the paused time did not count.
    const limit = Math.ceil(used) + 1;
    const first = await resume(url, a.id, { max_wall_time_s: limit });
    assert.ok(first.status < 300, JSON.stringify(first.body));
    const event = (await h.svc.store.listEvents(a.id)).find((e) =>
      e.kind === "RUN_RESUMED"
    );
    assert.equal(event?.payload.wall_time_used_s, used);
    // However this loaded machine paces the rest, it gets there with room to work.
    const done = await until(
      "the end",
      async () => {
        const run = await runStatus(url, a.id);
        if (run.status === "PAUSED") {
          await resume(url, a.id, { max_wall_time_s: 600 });
          return null;
        }
        return run.status === "SUCCEEDED" || run.status === "FAILED"
          ? run
          : null;
      },
      60_000,
      100,
    );
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
  });
});

Deno.test("pause: a PAUSED run survives SIGKILL of the service and resumes with no model call repeated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_pause_" });
  const kvStore = await testKvPath(dir);
  const model = await startScriptedModel({
    se: [EXPENSIVE_WRITE, FINISH],
    po: [PASS],
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-pause-test",
    });
    server = await ServiceProcess.start(env);
    const id = await postRun(server.url, {
      ...calculatorRun(remote, "aos/paused"),
      on_budget: "pause",
      max_total_tokens: 10_000,
    });
    await paused(server.url, id);
    await server.restart(env);
    assert.equal((await runStatus(server.url, id)).status, "PAUSED");
    const res = await resume(server.url, id, { max_total_tokens: 50_000 });
    assert.ok(res.status < 300, JSON.stringify(res.body));
    const run = await waitForRunEnd(server.url, id, 60_000);
    assert.equal(run.status, "SUCCEEDED", run.error ?? "");
    assert.equal(seRequests(model), 2, "no SE model call repeated");
  } finally {
    await server?.stop();
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
