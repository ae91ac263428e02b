/**
 * The first hour's failure cases, end to end: a model URL where nothing
 * listens, no API key, the console's run lines (text and JSON), and the
 * warning for an API open beyond loopback without a token.
 */
import assert from "node:assert/strict";
import { TEST_API_KEY, withHarness } from "./support/harness.ts";
import { PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { until } from "./support/poll.ts";

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function readyz(url: string): Promise<{
  status: string;
  checks: { model: { ok: boolean | null; problems: string[] } };
}> {
  return await (await fetch(`${url}/readyz`)).json();
}

Deno.test("a model URL where nothing listens: /readyz and the console say so at start, the run's events say why it waits, MODEL_RETRY names the endpoint", async () => {
  const dead = `http://127.0.0.1:${closedPort()}/v1`;
  await withHarness({
    env: { OPENAI_BASE_URL: dead, AOS_MODEL_RETRY_WINDOW_S: "2" },
  }, async (h) => {
    const ready = await until("the model check", async () => {
      const body = await readyz(h.svc.url);
      return body.checks.model.ok === null ? null : body;
    });
    assert.equal(ready.status, "ready", "ready all the same");
    assert.deepEqual(ready.checks.model.problems, [
      `The model endpoint ${dead} (OPENAI_BASE_URL) is unreachable: connection refused`,
    ]);
    assert.ok(
      h.logs.includes(
        `WARNING: model configuration: The model endpoint ${dead} (OPENAI_BASE_URL) is unreachable: connection refused`,
      ),
      h.logs.join("\n"),
    );
    const run = await h.submit(h.workOrder({ title: "Dead model" }));
    const done = await h.waitForEnd(run.id);
    assert.equal(done.status, "FAILED");
    assert.match(
      done.error ?? "",
      new RegExp(`${dead.replace(/[.]/g, "\\.")}.*connection refused`),
    );
    const events = await h.svc.store.listEvents(run.id);
    const unavailable = events.find((e) => e.kind === "MODEL_UNAVAILABLE");
    assert.equal(unavailable?.level, "WARN");
    assert.equal(unavailable?.payload.endpoint, dead);
    const retry = events.find((e) => e.kind === "MODEL_RETRY");
    assert.ok(retry, events.map((e) => e.kind).join());
    assert.equal(retry.payload.endpoint, dead);
    assert.equal(retry.payload.reason, "connection refused");
    assert.equal(retry.payload.attempt, 2);
    assert.ok(
      h.logs.some((l) =>
        l.startsWith(`MODEL_RETRY run=${run.id} agent=se iter=1 attempt=2`) &&
        l.includes(`endpoint=${dead}`)
      ),
      h.logs.join("\n"),
    );
    // The console: one line per state change, the failure with its error.
    const lines = h.logs.filter((l) => l.includes(`RUN ${run.id}`));
    assert.deepEqual(lines.map((l) => l.split(" ").slice(0, 5).join(" ")), [
      `RUN ${run.id} PENDING iter=0 title="Dead`,
      `RUN ${run.id} RUNNING iter=0 title="Dead`,
      `RUN ${run.id} RUNNING iter=1 title="Dead`,
      `ERROR: RUN ${run.id} FAILED iter=1`,
    ]);
    assert.match(lines[3]!, /error=".*connection refused/);
  });
});

Deno.test("no OPENAI_API_KEY: said at start, and a run fails at once, before setup or any model request", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR], po: [PASS] },
    env: { OPENAI_API_KEY: "" },
  }, async (h) => {
    const ready = await until("the model check", async () => {
      const body = await readyz(h.svc.url);
      return body.checks.model.ok === null ? null : body;
    });
    assert.equal(ready.checks.model.ok, false);
    assert.match(ready.checks.model.problems[0]!, /^OPENAI_API_KEY is not set/);
    const run = await h.submit(
      h.workOrder({ setup_commands: ["touch setup-ran"] }),
    );
    const done = await h.waitForEnd(run.id);
    assert.equal(done.status, "FAILED");
    assert.match(done.error ?? "", /^OPENAI_API_KEY is not set/);
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    assert.ok(!kinds.includes("SETUP_RESULT"), kinds.join());
    assert.equal(h.model.requests.length, 0);
  });
});

Deno.test("AOS_LOG_FORMAT=json: one JSON object per line, run state changes with id, title, status and iteration, no secret", async () => {
  await withHarness({
    script: { se: [WRITE_CALCULATOR], po: [PASS] },
    env: { AOS_LOG_FORMAT: "json" },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      title: `Calc with ${TEST_API_KEY}`,
      push_branch: "aos/json",
    }));
    const done = await h.waitForEnd(run.id);
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
    await until(
      "the SUCCEEDED line",
      () => h.logs.some((l) => l.includes('"SUCCEEDED"')) || null,
    );
    const records = h.logs.map((l) => JSON.parse(l));
    for (const r of records) {
      assert.equal(typeof r.ts, "string");
      assert.ok(["info", "warn", "error"].includes(r.level), r.level);
    }
    const mine = records.filter((r) => r.run_id === run.id);
    assert.deepEqual(mine.map((r) => [r.status, r.iteration]), [
      ["PENDING", 0],
      ["RUNNING", 0],
      ["RUNNING", 1],
      ["SUCCEEDED", 1],
    ]);
    assert.equal(mine[0].title, "Calc with [REDACTED]");
    assert.equal(mine[3].result, "Decision: PASS, pushed to aos/json");
    assert.ok(!h.logs.join("\n").includes(TEST_API_KEY));
  });
});

Deno.test("listening beyond loopback without AOS_API_TOKEN is a loud warning; with a token, or on loopback, none", async () => {
  await withHarness({ env: { AOS_HOST: "0.0.0.0" } }, (h) => {
    assert.ok(
      h.logs.some((l) =>
        l.startsWith(
          "WARNING: listening on 0.0.0.0:0 without AOS_API_TOKEN — anyone who can reach this port can submit runs",
        )
      ),
      h.logs.join("\n"),
    );
    return Promise.resolve();
  });
  await withHarness({
    env: { AOS_HOST: "0.0.0.0", AOS_API_TOKEN: "tok-abcdef123456" },
  }, (h) => {
    assert.ok(!h.logs.some((l) => l.includes("without AOS_API_TOKEN")));
    return Promise.resolve();
  });
  await withHarness({}, (h) => {
    assert.ok(!h.logs.some((l) => l.includes("without AOS_API_TOKEN")));
    return Promise.resolve();
  });
});
