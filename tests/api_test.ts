/** The HTTP API against the real server on a loopback port. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { finishCall, poVerdict, writeFileCall } from "../lib/llm/testing.ts";

const finish = finishCall("done");
const pass = poVerdict("PASS", "ok");

Deno.test("API: submit (JSON, multipart), get, list, events, SSE, artifacts, errors", async () => {
  await withHarness({
    script: {
      se: [{
        tool_calls: [
          writeFileCall("calculator.py", "def add(a, b):\n    return a + b\n"),
          finish,
        ],
      }],
      po: [pass],
    },
    // Memory may answer for a live run for a minute: only this process's
    // own invalidations can make the run's progress show.
    env: { AOS_RUN_CACHE_MS: "60000" },
  }, async (h) => {
    const base = h.svc.url;
    // The original service's curl, verbatim in spirit: multipart with the file as text.
    const md = h.workOrder({ title: "API run", acceptance_commands: ["true"] });
    const path = `${h.dir}/task.md`;
    await Deno.writeTextFile(path, md);
    const curl = await new Deno.Command("curl", {
      args: [
        "-s",
        "-X",
        "POST",
        `${base}/runs/submit`,
        "-F",
        `work_order_md=<${path}`,
      ],
      stdout: "piped",
    }).output();
    const created = JSON.parse(new TextDecoder().decode(curl.stdout));
    assertEquals(created.status, "PENDING");
    assertEquals(created.title, "API run");
    // Read it while live, so a record is held in memory during the run.
    const early = await fetch(`${base}/runs/${created.id}`);
    assertEquals(early.headers.get("content-type"), "application/json");
    assertEquals((await early.json()).id, created.id);

    const sse = await fetch(`${base}/runs/${created.id}/events`, {
      headers: { accept: "text/event-stream" },
    });
    assertEquals(
      sse.headers.get("content-type")?.startsWith("text/event-stream"),
      true,
    );
    const text = await sse.text(); // ends at RUN_END
    const kinds = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    assertEquals(kinds[0], "RUN_CREATED");
    assertEquals(kinds.at(-1), "RUN_END");
    assert(kinds.includes("PO_RESULT"));

    // The worker runs in this process: its last write shows at once.
    const run = await (await fetch(`${base}/runs/${created.id}`)).json();
    assertEquals(run.status, "SUCCEEDED");
    assertEquals(
      await (await fetch(`${base}/runs/${created.id}?consistency=strong`))
        .json(),
      run,
    );
    const badRead = await fetch(`${base}/runs/${created.id}?consistency=x`);
    assertEquals(badRead.status, 400);
    assertEquals((await badRead.json()).error.details, [{
      field: "consistency",
      message: "Must be 'strong' or 'eventual'",
    }]);
    const events = await (await fetch(`${base}/runs/${created.id}/events`))
      .json();
    assertEquals(events.map((e: { kind: string }) => e.kind), kinds);
    const later = await (await fetch(
      `${base}/runs/${created.id}/events?after=${events[2].seq}`,
    )).json();
    assertEquals(later.length, events.length - 3);
    // Resume from Last-Event-ID replays only what follows.
    const resumed =
      await (await fetch(`${base}/runs/${created.id}/events/stream`, {
        headers: { "last-event-id": events.at(-2).seq },
      })).text();
    assertEquals([...resumed.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]), [
      "RUN_END",
    ]);

    const artifacts =
      await (await fetch(`${base}/runs/${created.id}/artifacts`)).json();
    const summary = artifacts.find((a: { name: string }) =>
      a.name === "summary.json"
    );
    const download = await fetch(
      `${base}/runs/${created.id}/artifacts/summary.json`,
    );
    assertEquals(download.headers.get("content-type"), "application/json");
    const bytes = new Uint8Array(await download.arrayBuffer());
    assertEquals(Number(download.headers.get("content-length")), summary.bytes);
    assertEquals(bytes.length, summary.bytes);

    // JSON submit with fields + task, idempotency.
    const body = JSON.stringify({
      repo: h.remote,
      task: "Nothing",
      acceptance_commands: ["sleep 30"],
    });
    const headers = {
      "content-type": "application/json",
      "idempotency-key": "abc-123",
    };
    const first = await fetch(`${base}/runs`, {
      method: "POST",
      headers,
      body,
    });
    assertEquals(first.status, 201);
    const again = await fetch(`${base}/runs`, {
      method: "POST",
      headers,
      body,
    });
    assertEquals(again.status, 200);
    assertEquals((await again.json()).id, (await first.json()).id);

    const list = await (await fetch(`${base}/runs?limit=1`)).json();
    assertEquals(list.runs.length, 1);
    assertEquals(list.total, 2);
    const succeeded = await (await fetch(`${base}/runs?status=SUCCEEDED`))
      .json();
    assertEquals(succeeded.runs.map((r: { id: string }) => r.id), [created.id]);

    // Errors.
    const bad = await fetch(`${base}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        work_order_md: "---\nrepo: x\nmax_iterations: 99\n---\n\ntask\n",
      }),
    });
    assertEquals(bad.status, 422);
    const badBody = await bad.json();
    assertEquals(badBody.error.code, "validation_failed");
    assert(
      badBody.error.details.some((d: { field: string }) =>
        d.field === "max_iterations"
      ),
    );
    assertEquals((await fetch(`${base}/runs?limit=500`)).status, 400);
    const missing = await fetch(`${base}/runs/nope`);
    assertEquals(missing.status, 404);
    assertEquals(await missing.json(), {
      error: { code: "not_found", message: "Run 'nope' not found" },
    });
    assertEquals(
      (await fetch(`${base}/runs/${created.id}/artifacts/missing.json`)).status,
      404,
    );
    assertEquals(
      (await fetch(`${base}/runs/${created.id}/cancel`, { method: "POST" }))
        .status,
      409,
    );
    const wrongType = await fetch(`${base}/runs`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    assertEquals(wrongType.status, 415);
    await wrongType.body?.cancel();
    const huge = await fetch(`${base}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ work_order_md: "x".repeat(3 * 1024 * 1024) }),
    });
    assertEquals(huge.status, 413);
    await huge.body?.cancel();
    const health = await fetch(`${base}/healthz`);
    assertEquals((await health.json()).status, "ok");
    assertEquals((await fetch(`${base}/readyz`)).status, 200);

    const spec = await (await fetch(`${base}/openapi.json`)).json();
    assertMatch(spec.openapi, /^3\.1/);
    for (
      const route of [
        "/runs",
        "/runs/submit",
        "/runs/{id}",
        "/runs/{id}/events",
        "/runs/{id}/cancel",
        "/runs/{id}/artifacts",
        "/runs/{id}/artifacts/{name}",
        "/healthz",
        "/readyz",
      ]
    ) {
      assert(spec.paths[route], `openapi.json lacks ${route}`);
    }
    const docs = await fetch(`${base}/docs`);
    assertMatch(await docs.text(), /swagger/i);
  });
});

Deno.test("API: cancel during a long acceptance command ends CANCELLED quickly", async () => {
  await withHarness({
    script: {
      se: [{ tool_calls: [writeFileCall("calculator.py", "x = 1\n"), finish] }],
      po: [],
    },
  }, async (h) => {
    const run = await h.submit(
      h.workOrder({ acceptance_commands: ["sleep 120"] }),
    );
    while (
      (await h.svc.store.listEvents(run.id)).every((e) =>
        e.kind !== "SE_OUTPUT"
      )
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(`${h.svc.url}/runs/${run.id}/cancel`, {
      method: "POST",
    });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).status, "CANCELLED");
    const again = await fetch(`${h.svc.url}/runs/${run.id}/cancel`, {
      method: "POST",
    });
    assertEquals(again.status, 200);
    await again.body?.cancel();
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    assert(kinds.includes("RUN_CANCELLED"));
    assertEquals(kinds.at(-1), "RUN_END");
  });
});

Deno.test("API: cancel during a slow model call ends CANCELLED quickly", async () => {
  await withHarness({
    script: { se: [{ delayMs: 60_000, then: { content: "late" } }], po: [] },
  }, async (h) => {
    const run = await h.submit(h.workOrder({}));
    while (h.model.requests.length === 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const res = await fetch(`${h.svc.url}/runs/${run.id}/cancel`, {
      method: "POST",
    });
    assertEquals((await res.json()).status, "CANCELLED");
  });
});

Deno.test("API: bearer token required when AOS_API_TOKEN is set; probes exempt", async () => {
  await withHarness(
    { env: { AOS_API_TOKEN: "tok-SECRET-value" } },
    async (h) => {
      assertEquals((await fetch(`${h.svc.url}/healthz`)).status, 200);
      const none = await fetch(`${h.svc.url}/runs`);
      assertEquals(none.status, 401);
      const body = await none.text();
      assert(!body.includes("tok-SECRET-value"));
      // The help text survives the redactor: it shows a placeholder, no secret.
      assertEquals(
        JSON.parse(body).error.message,
        "Missing bearer token: send the header 'Authorization: Bearer <AOS_API_TOKEN>'",
      );
      // The document and its page are public; Authorize in the page sends the token.
      for (
        const path of ["/openapi.json", "/docs", "/docs/swagger-ui-bundle.js"]
      ) {
        const open = await fetch(`${h.svc.url}${path}`);
        assertEquals(open.status, 200, path);
        await open.body?.cancel();
      }
      const wrong = await fetch(`${h.svc.url}/runs`, {
        headers: { authorization: "Bearer nope" },
      });
      assertEquals(wrong.status, 401);
      await wrong.body?.cancel();
      const right = await fetch(`${h.svc.url}/runs`, {
        headers: { authorization: "Bearer tok-SECRET-value" },
      });
      assertEquals(right.status, 200);
      await right.body?.cancel();
      // A run held in memory is still only served with the token.
      const run = await h.submit(h.workOrder({}), {
        authorization: "Bearer tok-SECRET-value",
      });
      const url = `${h.svc.url}/runs/${run.id}`;
      const auth = { authorization: "Bearer tok-SECRET-value" };
      assertEquals(
        (await (await fetch(url, { headers: auth })).json()).id,
        run.id,
      );
      assertEquals(
        (await (await fetch(url, { headers: auth })).json()).id,
        run.id,
      );
      for (const headers of [{}, { authorization: "Bearer nope" }]) {
        const denied = await fetch(url, { headers });
        assertEquals(denied.status, 401);
        assertEquals((await denied.json()).error.code, "unauthorized");
      }
    },
  );
});

Deno.test("API: 200 concurrent submits get distinct ids and consistent counts", async () => {
  await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
    const md = h.workOrder({});
    const runs = await Promise.all(
      Array.from({ length: 200 }, () => h.submit(md)),
    );
    assertEquals(new Set(runs.map((r) => r.id)).size, 200);
    const counts = await h.svc.store.counts();
    assertEquals(counts.total, 200);
    assertEquals(counts.PENDING, 200);
    const page = await (await fetch(`${h.svc.url}/runs?limit=200`)).json();
    assertEquals(page.total, 200);
    assertEquals(page.runs.length, 200);
  });
});

Deno.test("API: curl -F work_order_md=@file (a file upload) and =<file (text) both create runs", async () => {
  await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
    const path = `${h.dir}/task.md`;
    await Deno.writeTextFile(path, h.workOrder({ title: "Uploaded" }));
    for (const form of [`work_order_md=@${path}`, `work_order_md=<${path}`]) {
      const curl = await new Deno.Command("curl", {
        args: ["-s", "-X", "POST", `${h.svc.url}/runs/submit`, "-F", form],
        stdout: "piped",
      }).output();
      const run = JSON.parse(new TextDecoder().decode(curl.stdout));
      assertEquals([run.status, run.title], ["PENDING", "Uploaded"], form);
    }
    await Deno.writeFile(
      path,
      new Uint8Array([...new TextEncoder().encode(h.workOrder({})), 0xff]),
    );
    for (const form of [`work_order_md=@${path}`, `work_order_md=<${path}`]) {
      const curl = await new Deno.Command("curl", {
        args: ["-s", "-X", "POST", `${h.svc.url}/runs/submit`, "-F", form],
        stdout: "piped",
      }).output();
      const body = JSON.parse(new TextDecoder().decode(curl.stdout));
      assertEquals(
        body.error.message,
        "work_order_md: Work order is not valid UTF-8 text",
      );
    }
  });
});
