import assert from "node:assert/strict";
import { checkModel, ModelHealth } from "./preflight.ts";
import { connectionReason } from "./errors.ts";

/** A loopback server answering GET /v1/models with `answer`; the Authorization headers it saw are kept. */
async function withModels(
  answer: (req: Request) => Response,
  fn: (baseUrl: string, seen: (string | null)[]) => Promise<void>,
): Promise<void> {
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (req) => {
      seen.push(req.headers.get("authorization"));
      return new URL(req.url).pathname === "/v1/models"
        ? answer(req)
        : new Response("no", { status: 404 });
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1`, seen);
  } finally {
    await server.shutdown();
  }
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const list = (...ids: string[]) =>
  Response.json({
    object: "list",
    data: ids.map((id) => ({ id, object: "model" })),
  });

Deno.test("checkModel() is ok when the endpoint lists every configured model, and sends the key", async () => {
  await withModels(() => list("gpt-x", "gpt-y"), async (baseUrl, seen) => {
    const check = await checkModel({
      apiKey: "sk-preflight-123456",
      baseUrl,
      models: ["gpt-x", "gpt-y", "gpt-x"],
    });
    assert.equal(check.ok, true, check.problems.join());
    assert.equal(check.listed, true);
    assert.deepEqual(check.models, ["gpt-x", "gpt-y"]);
    assert.equal(check.endpoint, baseUrl);
    assert.deepEqual(seen, ["Bearer sk-preflight-123456"]);
  });
});

Deno.test("checkModel() names a model the endpoint does not list, and what it lists", async () => {
  await withModels(() => list("qwen2.5-coder:1.5b"), async (baseUrl) => {
    const check = await checkModel({
      apiKey: "k",
      baseUrl,
      models: ["gpt-4.1"],
    });
    assert.equal(check.ok, false);
    assert.deepEqual(check.problems, [
      `The model endpoint ${baseUrl} (OPENAI_BASE_URL) does not list 'gpt-4.1' (AOS_MODEL, AOS_SE_MODEL, AOS_PO_MODEL); it lists 'qwen2.5-coder:1.5b'`,
    ]);
  });
});

Deno.test("checkModel() takes an endpoint without a model list (404) as fine", async () => {
  await withModels(
    () => new Response("nope", { status: 404 }),
    async (baseUrl) => {
      const check = await checkModel({ apiKey: "k", baseUrl, models: ["m"] });
      assert.equal(check.ok, true);
      assert.equal(check.listed, false);
    },
  );
});

Deno.test("checkModel() reports a rejected key, a missing key and a 5xx", async () => {
  await withModels(
    () => new Response("{}", { status: 401 }),
    async (baseUrl) => {
      const check = await checkModel({ apiKey: "bad", baseUrl, models: ["m"] });
      assert.deepEqual(check.problems, [
        `The model endpoint ${baseUrl} (OPENAI_BASE_URL) rejected OPENAI_API_KEY (HTTP 401)`,
      ]);
    },
  );
  await withModels(() => list("m"), async (baseUrl, seen) => {
    const check = await checkModel({ apiKey: null, baseUrl, models: ["m"] });
    assert.equal(check.ok, false);
    assert.match(
      check.problems[0]!,
      /^OPENAI_API_KEY is not set: every run would fail/,
    );
    assert.deepEqual(seen, [null]);
  });
  await withModels(
    () => new Response("down", { status: 503 }),
    async (baseUrl) => {
      const check = await checkModel({ apiKey: "k", baseUrl, models: ["m"] });
      assert.match(check.problems[0]!, /answered HTTP 503 to GET \/models/);
    },
  );
});

Deno.test("checkModel() names a refused connection and an unknown host, never waiting long", async () => {
  const refused = `http://127.0.0.1:${closedPort()}/v1`;
  const check = await checkModel({
    apiKey: "k",
    baseUrl: refused,
    models: ["m"],
  });
  assert.deepEqual(check.problems, [
    `The model endpoint ${refused} (OPENAI_BASE_URL) is unreachable: connection refused`,
  ]);
  const unknown = await checkModel({
    apiKey: "k",
    baseUrl: "http://no-such-host.invalid/v1",
    models: ["m"],
  });
  assert.match(
    unknown.problems[0]!,
    /^The model endpoint http:\/\/no-such-host\.invalid\/v1 \(OPENAI_BASE_URL\) is unreachable: (host not found|no answer within)/,
  );
});

Deno.test("checkModel() gives up after its timeout on an endpoint that never answers", async () => {
  await withModels(() => {
    // Held until the check gave up.
    return new Response(new ReadableStream({ start() {} }), { status: 200 });
  }, async (baseUrl) => {
    const check = await checkModel({
      apiKey: "k",
      baseUrl,
      models: ["m"],
      timeoutMs: 200,
    });
    assert.match(check.problems[0]!, /is unreachable: no answer within 200 ms/);
  });
});

Deno.test("ModelHealth logs the first verdict and each change, not every check", async () => {
  let answer = () => new Response("down", { status: 503 });
  await withModels(() => answer(), async (baseUrl) => {
    const lines: string[] = [];
    const health = new ModelHealth({
      apiKey: "k",
      baseUrl,
      models: ["m"],
      log: (l) => lines.push(l),
      okEveryMs: 3_600_000,
      failingEveryMs: 3_600_000,
    });
    assert.equal(health.current, null);
    const first = await health.start();
    assert.equal(first.ok, false);
    await health.check();
    answer = () => list("m");
    await health.check();
    await health.stop();
    assert.deepEqual(lines, [
      `WARNING: model configuration: The model endpoint ${baseUrl} (OPENAI_BASE_URL) answered HTTP 503 to GET /models`,
      `Model: ${baseUrl} answers and lists m`,
    ]);
  });
});

Deno.test("connectionReason() names the class of a connection failure: refused, DNS, TLS", () => {
  const wrapped = (inner: string) =>
    new TypeError("error sending request", { cause: new Error(inner) });
  assert.equal(
    connectionReason(
      wrapped("tcp connect error: Connection refused (os error 111)"),
    ),
    "connection refused",
  );
  assert.equal(
    connectionReason(
      wrapped("dns error: failed to lookup address information"),
    ),
    "host not found",
  );
  assert.equal(
    connectionReason(wrapped("invalid peer certificate: UnknownIssuer")),
    "TLS: invalid peer certificate: UnknownIssuer",
  );
});
