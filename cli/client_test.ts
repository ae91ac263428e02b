import assert from "node:assert/strict";
import { AosClient, DEFAULT_URL } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";
import { refusedUrl, serve } from "./testing.ts";

/** A server that wants `Bearer right` and answers `/runs/x` with a record. */
function tokenServer(seen: (string | null)[]) {
  return serve((req) => {
    const auth = req.headers.get("authorization");
    seen.push(auth);
    if (auth !== "Bearer right") {
      return Response.json({
        error: { code: "unauthorized", message: "Missing or invalid token" },
      }, {
        status: 401,
      });
    }
    return Response.json({ id: "x", status: "RUNNING" });
  });
}

async function cliError(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("Expected a CliError");
}

Deno.test("AosClient sends AOS_API_TOKEN as a bearer token", async () => {
  const seen: (string | null)[] = [];
  const server = tokenServer(seen);
  try {
    const client = AosClient.fromEnv({
      AOS_URL: `${server.url}/`,
      AOS_API_TOKEN: "right",
    });
    assert.equal((await client.getRun("x")).id, "x");
    assert.deepEqual(seen, ["Bearer right"]);
  } finally {
    await server.close();
  }
});

Deno.test("AosClient maps 401 to exit 5 naming AOS_API_TOKEN, with or without a token", async () => {
  const seen: (string | null)[] = [];
  const server = tokenServer(seen);
  try {
    const wrong = await cliError(
      AosClient.fromEnv({ AOS_URL: server.url, AOS_API_TOKEN: "wrong" }).getRun(
        "x",
      ),
    );
    assert.equal(wrong.exitCode, EXIT.unreachable);
    assert.match(wrong.message, /rejected the API token \(AOS_API_TOKEN\)/);
    assert.ok(
      !wrong.message.includes("wrong"),
      "the token itself must not be printed",
    );
    const none = await cliError(
      AosClient.fromEnv({ AOS_URL: server.url }).getRun("x"),
    );
    assert.equal(none.exitCode, EXIT.unreachable);
    assert.match(none.message, /requires a token: set AOS_API_TOKEN/);
    assert.deepEqual(seen, ["Bearer wrong", null]);
  } finally {
    await server.close();
  }
});

Deno.test("AosClient maps 422 to exit 2 with one detail line per issue", async () => {
  const server = serve(() =>
    Response.json({
      error: {
        code: "validation_failed",
        message: "Invalid work order",
        details: [{ field: "max_iterations", message: "Must be at most 20" }, {
          field: "",
          message: "Task body is empty",
        }],
      },
    }, { status: 422 })
  );
  try {
    const err = await cliError(
      new AosClient({ baseUrl: server.url }).submit("x"),
    );
    assert.equal(err.exitCode, EXIT.invalid);
    assert.equal(err.code, "validation_failed");
    assert.equal(err.message, "Invalid work order");
    assert.deepEqual(err.details, [
      "max_iterations: Must be at most 20",
      "Task body is empty",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("AosClient maps a refused connection to exit 5 saying how to fix it", async () => {
  const url = await refusedUrl();
  const err = await cliError(
    new AosClient({ baseUrl: url, token: "secret" }).listRuns(),
  );
  assert.equal(err.exitCode, EXIT.unreachable);
  assert.equal(
    err.message,
    `Cannot reach the AOS server at ${url}: connection refused. ` +
      "Start it with `deno task start` or set AOS_URL to its address",
  );
});

Deno.test("AosClient rejects an AOS_URL that is not a URL with exit 2", () => {
  assert.throws(() => AosClient.fromEnv({ AOS_URL: "not a url" }), (err) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, EXIT.invalid);
    return true;
  });
  assert.equal(AosClient.fromEnv({}).baseUrl, DEFAULT_URL);
});

Deno.test("AosClient.downloadArtifact() returns the exact bytes", async () => {
  const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
  let path = "";
  const server = serve((req) => {
    path = new URL(req.url).pathname;
    return new Response(bytes, {
      headers: { "content-type": "application/octet-stream" },
    });
  });
  try {
    const got = await new AosClient({ baseUrl: server.url }).downloadArtifact(
      "r 1",
      "a b.json",
    );
    assert.deepEqual(got, bytes);
    assert.equal(path, "/runs/r%201/artifacts/a%20b.json");
  } finally {
    await server.close();
  }
});
