import assert from "node:assert/strict";
import { readWebhookConfig } from "./config.ts";
import { attemptDelivery, backoffMs, retryAfterMs } from "./deliver.ts";
import { signWebhook, verifyWebhook } from "./sign.ts";
import { checkTarget } from "./target.ts";

const SECRET = "whsec-TEST-0123456789abcdef";

Deno.test("signWebhook() is HMAC-SHA256 over timestamp + '.' + body, hex", async () => {
  // Reference value computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac "$SECRET"
  const out = await new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-hmac", SECRET],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode('1700000000.{"a":1}'));
  await writer.close();
  const reference = new TextDecoder().decode((await out.output()).stdout)
    .trim().split(" ").pop();
  const signature = await signWebhook(SECRET, "1700000000", '{"a":1}');
  assert.equal(signature, `sha256=${reference}`);
  assert.ok(await verifyWebhook(SECRET, "1700000000", '{"a":1}', signature));
  assert.ok(!(await verifyWebhook(SECRET, "1700000001", '{"a":1}', signature)));
  assert.ok(
    !(await verifyWebhook(
      "other-secret-xxxxxx",
      "1700000000",
      '{"a":1}',
      signature,
    )),
  );
});

Deno.test("checkTarget() resolves the host and refuses any private address it names", async () => {
  const resolver = (answers: Record<string, string[]>) => (host: string) =>
    Promise.resolve(answers[host] ?? []);
  const dns = resolver({
    "hooks.example.com": ["93.184.216.34"],
    "sneaky.example.com": ["93.184.216.34", "10.1.2.3"],
  });
  assert.equal(
    await checkTarget(new URL("https://hooks.example.com/x"), false, dns),
    null,
  );
  const sneaky = await checkTarget(
    new URL("https://sneaky.example.com/x"),
    false,
    dns,
  );
  assert.match(
    sneaky!.message,
    /resolves to the private or loopback address 10\.1\.2\.3/,
  );
  assert.equal(sneaky!.retry, false);
  assert.match(
    (await checkTarget(new URL("http://127.0.0.1:9/"), false, dns))!.message,
    /AOS_WEBHOOK_ALLOW_PRIVATE=true/,
  );
  assert.ok(await checkTarget(new URL("http://[::1]:9/"), false, dns));
  assert.ok(await checkTarget(new URL("http://app.localhost/"), false, dns));
  assert.equal(
    (await checkTarget(new URL("https://gone.example/"), false, dns))!.retry,
    true,
  );
  assert.equal(
    await checkTarget(new URL("http://127.0.0.1:9/"), true, dns),
    null,
  );
});

Deno.test("readWebhookConfig() expands run.finished and names each bad variable", () => {
  const env = (vars: Record<string, string>) => (name: string) =>
    vars[name] ?? null;
  const ok = readWebhookConfig(env({
    AOS_WEBHOOK_URL: "https://hooks.example.com/aos",
    AOS_WEBHOOK_SECRET: SECRET,
  }));
  assert.deepEqual(ok.issues, []);
  assert.deepEqual([...ok.webhook!.events].sort(), [
    "run.cancelled",
    "run.failed",
    "run.succeeded",
  ]);
  assert.equal(ok.webhook!.allowPrivate, false);
  const started = readWebhookConfig(env({
    AOS_WEBHOOK_URL: "https://hooks.example.com/aos",
    AOS_WEBHOOK_SECRET: SECRET,
    AOS_WEBHOOK_EVENTS: "run.started, run.failed",
  }));
  assert.deepEqual([...started.webhook!.events], ["run.started", "run.failed"]);
  const bad = readWebhookConfig(env({
    AOS_WEBHOOK_URL: "ftp://x",
    AOS_WEBHOOK_EVENTS: "run.done",
    AOS_WEBHOOK_ALLOW_PRIVATE: "maybe",
  }));
  assert.equal(bad.webhook, null);
  assert.deepEqual(bad.issues.map(([field]) => field).sort(), [
    "AOS_WEBHOOK_ALLOW_PRIVATE",
    "AOS_WEBHOOK_EVENTS",
    "AOS_WEBHOOK_SECRET",
    "AOS_WEBHOOK_URL",
  ]);
  assert.equal(readWebhookConfig(env({})).webhook, null);
});

Deno.test("backoffMs() doubles from 1 s up to 15 min; retryAfterMs() reads seconds and dates", () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 11, 30].map((n) => backoffMs(n, mid)), [
    1000,
    2000,
    4000,
    900_000,
    900_000,
  ]);
  assert.equal(retryAfterMs("5"), 5000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(retryAfterMs("soon"), undefined);
  assert.equal(retryAfterMs("999999"), 3_600_000);
});

Deno.test("attemptDelivery() signs the POST, never follows redirects and sorts answers into delivered/retry/failed", async () => {
  const seen: { path: string; headers: Headers; body: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      seen.push({ path, headers: req.headers, body: await req.text() });
      if (path === "/redirect") {
        return new Response(null, {
          status: 302,
          headers: { location: "/target" },
        });
      }
      if (path === "/busy") {
        return new Response("busy", {
          status: 503,
          headers: { "retry-after": "7" },
        });
      }
      if (path === "/gone") return new Response("no", { status: 410 });
      return new Response("ok");
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const delivery = (path: string, allowPrivate = true) => ({
    url: `${base}${path}`,
    secret: SECRET,
    allowPrivate,
    event: "run.succeeded" as const,
    deliveryId: "d-1",
    run: { id: "run-1", status: "SUCCEEDED" },
  });
  try {
    assert.deepEqual(await attemptDelivery(delivery("/hook")), {
      outcome: "delivered",
      status: 200,
      error: null,
    });
    const hit = seen[0]!;
    assert.equal(hit.headers.get("x-aos-event"), "run.succeeded");
    assert.equal(hit.headers.get("x-aos-delivery"), "d-1");
    assert.equal(hit.headers.get("content-type"), "application/json");
    const timestamp = hit.headers.get("x-aos-timestamp")!;
    assert.match(timestamp, /^\d{10}$/);
    assert.ok(
      await verifyWebhook(
        SECRET,
        timestamp,
        hit.body,
        hit.headers.get("x-aos-signature-256")!,
      ),
    );
    const body = JSON.parse(hit.body);
    assert.deepEqual(Object.keys(body), ["id", "event", "delivered_at", "run"]);
    assert.equal(body.run.id, "run-1");
    assert.ok(!hit.body.includes(SECRET));

    const redirect = await attemptDelivery(delivery("/redirect"));
    assert.equal(redirect.outcome, "failed");
    assert.match(redirect.error!, /redirects are not followed/);
    assert.ok(!seen.some((s) => s.path === "/target"));
    assert.deepEqual(await attemptDelivery(delivery("/busy")), {
      outcome: "retry",
      status: 503,
      error: "Receiver answered HTTP 503",
      retryAfterMs: 7000,
    });
    assert.equal((await attemptDelivery(delivery("/gone"))).outcome, "failed");
    const count = seen.length;
    const refused = await attemptDelivery(delivery("/hook", false));
    assert.equal(refused.outcome, "failed");
    assert.match(refused.error!, /Refused: host '127\.0\.0\.1'/);
    assert.equal(seen.length, count, "a refused target gets no request");
  } finally {
    await server.shutdown();
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const down = await attemptDelivery({
    ...delivery("/"),
    url: `http://127.0.0.1:${closed}/`,
  });
  assert.equal(down.outcome, "retry");
  assert.match(down.error!, /Connection failed/);
});
