/**
 * Signed run webhooks end to end: a real receiver on loopback, the real
 * service (in process, and as a process killed with SIGKILL between attempts).
 */
import assert from "node:assert/strict";
import type { RunEvent } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/testing.ts";
import { verifyWebhook } from "../lib/webhook/mod.ts";
import { type Harness, seedRepo, withHarness } from "./support/harness.ts";
import { startScriptedModel } from "../lib/llm/testing.ts";
import { until } from "./support/poll.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
} from "./support/server_process.ts";
import {
  type HookAnswer,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./support/webhook_receiver.ts";

const SECRET = "whsec-E2E-SECRET-5b7d9f1a3c";

const SCRIPT = {
  se: [{
    tool_calls: [
      { name: "write_file", arguments: { path: "NOTES.md", content: "hi\n" } },
      { name: "finish", arguments: { summary: "notes" } },
    ],
  }],
  po: [{
    tool_calls: [{
      name: "submit_verdict",
      arguments: { decision: "PASS", feedback: "ok" },
    }],
  }],
};

const hookEvents = (events: RunEvent[]) =>
  events.filter((e) => e.kind.startsWith("WEBHOOK_"));

/** Runs `fn` on a harness whose service signs webhooks to a receiver answering `answers`. */
async function withReceiver(
  answers: HookAnswer[],
  env: Record<string, string>,
  fn: (h: Harness, receiver: WebhookReceiver) => Promise<void>,
): Promise<void> {
  const receiver = startWebhookReceiver(answers);
  try {
    await withHarness({
      script: SCRIPT,
      env: {
        AOS_WEBHOOK_URL: receiver.url,
        AOS_WEBHOOK_SECRET: SECRET,
        ...env,
      },
    }, (h) => fn(h, receiver));
  } finally {
    await receiver.close();
  }
}

Deno.test("a receiver answering 500 twice then 200 gets one signed run.succeeded delivery, each attempt in the events", async () => {
  await withReceiver([500, 500], {
    AOS_WEBHOOK_ALLOW_PRIVATE: "true",
  }, async (h, receiver) => {
    const run = await h.submit(h.workOrder({ title: "Notes" }));
    const done = await h.waitForEnd(run.id);
    assert.equal(done.status, "SUCCEEDED");
    const events = await until("WEBHOOK_DELIVERED", async () => {
      const all = await h.svc.store.listEvents(run.id);
      return all.some((e) => e.kind === "WEBHOOK_DELIVERED") ? all : null;
    });
    const hooks = hookEvents(events);
    assert.deepEqual(
      hooks.map((e) => [e.kind, e.payload.attempt, e.payload.status]),
      [
        ["WEBHOOK_FAILED", 1, 500],
        ["WEBHOOK_FAILED", 2, 500],
        ["WEBHOOK_DELIVERED", 3, 200],
      ],
    );
    assert.equal(typeof hooks[0]!.payload.retry_in_ms, "number");
    // Three requests, one success, one delivery id, each correctly signed.
    assert.deepEqual(receiver.received.map((r) => r.status), [500, 500, 200]);
    const ids = new Set(
      receiver.received.map((r) => r.headers["x-aos-delivery"]),
    );
    assert.equal(ids.size, 1);
    for (const hit of receiver.received) {
      assert.equal(hit.headers["x-aos-event"], "run.succeeded");
      assert.ok(
        await verifyWebhook(
          SECRET,
          hit.headers["x-aos-timestamp"]!,
          hit.body,
          hit.headers["x-aos-signature-256"]!,
        ),
        "signature verifies",
      );
      const body = JSON.parse(hit.body);
      assert.equal(body.id, hooks[0]!.payload.delivery);
      assert.equal(body.event, "run.succeeded");
      assert.equal(body.run.id, run.id);
      assert.equal(body.run.status, "SUCCEEDED");
      assert.equal(body.run.work_order_md, undefined);
      assert.ok(!Number.isNaN(Date.parse(body.delivered_at)));
    }
    // Nothing more arrives: the delivery is finished.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.received.length, 3);
    assert.ok(!JSON.stringify(events).includes(SECRET));
  });
});

Deno.test("a loopback webhook target is refused unless AOS_WEBHOOK_ALLOW_PRIVATE=true", async () => {
  await withReceiver([], {
    AOS_WEBHOOK_EVENTS: "run.started,run.finished",
  }, async (h, receiver) => {
    const run = await h.submit(h.workOrder({}));
    await h.waitForEnd(run.id);
    const failed = await until("two WEBHOOK_FAILED", async () => {
      const hooks = hookEvents(await h.svc.store.listEvents(run.id));
      return hooks.length >= 2 ? hooks : null;
    });
    assert.deepEqual(
      failed.map((e) => [e.kind, e.payload.event, e.payload.final]).sort(),
      [
        ["WEBHOOK_FAILED", "run.started", true],
        ["WEBHOOK_FAILED", "run.succeeded", true],
      ],
    );
    assert.match(
      String(failed[0]!.payload.error),
      /Refused: host '127\.0\.0\.1' resolves to the private or loopback address 127\.0\.0\.1 \(set AOS_WEBHOOK_ALLOW_PRIVATE=true/,
    );
    assert.equal(receiver.received.length, 0);
  });
});

Deno.test("a webhook retry survives SIGKILL of the service between attempts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_hook_crash_" });
  const kvStore = await testKvPath(dir);
  // The first answer asks for a retry in 3 s: the service is killed inside that window.
  const receiver = startWebhookReceiver([
    { status: 503, headers: { "retry-after": "3" } },
  ]);
  const model = await startScriptedModel(SCRIPT);
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-hook-test",
      extra: {
        AOS_WEBHOOK_URL: receiver.url,
        AOS_WEBHOOK_SECRET: SECRET,
        AOS_WEBHOOK_ALLOW_PRIVATE: "true",
      },
    });
    server = await ServiceProcess.start(env);
    const service = server;
    const id = await postRun(service.url, {
      repo: remote,
      task: "Write notes.",
    });
    const hookEvent = (kind: string) => async () => {
      const events = (await (await fetch(`${service.url}/runs/${id}/events`))
        .json()) as RunEvent[];
      return events.find((e) => e.kind === kind) ?? null;
    };
    const failed = await until(
      "the first WEBHOOK_FAILED",
      hookEvent("WEBHOOK_FAILED"),
    );
    assert.equal(failed.payload.status, 503);
    assert.ok(Number(failed.payload.retry_in_ms) >= 3000);
    await service.kill();
    const killedAt = Date.now();
    assert.equal(receiver.received.length, 1);

    await service.restart(env);
    const delivered = await until(
      "WEBHOOK_DELIVERED after restart",
      hookEvent("WEBHOOK_DELIVERED"),
    );
    assert.equal(delivered.payload.attempt, 2);
    assert.equal(delivered.payload.status, 200);
    assert.deepEqual(receiver.received.map((r) => r.status), [503, 200]);
    assert.ok(
      receiver.received[1]!.at > killedAt,
      "second attempt came from the restarted service",
    );
    assert.equal(
      receiver.received[0]!.headers["x-aos-delivery"],
      receiver.received[1]!.headers["x-aos-delivery"],
    );
  } finally {
    await server?.kill();
    await receiver.close();
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
