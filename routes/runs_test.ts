import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { errorOf, multipart, withTestApp, workOrderMd } from "./testing.ts";

const JSON_TYPE = { "content-type": "application/json" };

function postJson(body: string, headers: Record<string, string> = JSON_TYPE) {
  return new Request("http://localhost/runs", {
    method: "POST",
    headers,
    body,
  });
}

Deno.test("POST /runs: malformed, empty or non-object JSON is a 4xx naming the problem", async () => {
  await withTestApp({}, async ({ app }) => {
    const bad = await errorOf(await app.request(postJson("{not json")));
    assertEquals([bad.status, bad.code], [400, "bad_request"]);
    assertMatch(bad.message, /^Request body is not valid JSON: /);
    const empty = await errorOf(await app.request(postJson("")));
    assertEquals(empty.status, 400);
    assertMatch(empty.message, /^Request body is empty/);
    for (const body of ["[]", "null", "42", '"x"']) {
      const res = await errorOf(await app.request(postJson(body)));
      assertEquals([res.status, res.code], [422, "validation_failed"], body);
      assertMatch(res.message, /must be a JSON object/);
    }
  });
});

Deno.test("POST /runs: JSON nested 100,000 deep or not UTF-8 is a 400, never a 500 or a lossy accept", async () => {
  await withTestApp({}, async ({ app, store }) => {
    const deepObject = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
    for (
      const body of [
        `{"repo":"https://github.com/u/r","task":"t","env":${deepObject}}`,
        `{"repo":"https://github.com/u/r","task":"t","zzz":${deepObject}}`,
        deepObject,
      ]
    ) {
      const res = await errorOf(await app.request(postJson(body)));
      assertEquals([res.status, res.code], [400, "bad_request"]);
      assertMatch(res.message, /nested more than 64 deep/);
    }
    // Raw 0xFF inside work_order_md: refused, not read as U+FFFD.
    const enc = new TextEncoder();
    const md = enc.encode(JSON.stringify({ work_order_md: workOrderMd() }));
    const at = md.indexOf(0x44); // the 'D' of "Do the task."
    const invalid = new Uint8Array([
      ...md.subarray(0, at),
      0xff,
      ...md.subarray(at),
    ]);
    const res = await errorOf(
      await app.request(
        new Request("http://localhost/runs", {
          method: "POST",
          headers: JSON_TYPE,
          body: invalid,
        }),
      ),
    );
    assertEquals([res.status, res.code], [400, "bad_request"]);
    assertMatch(res.message, /not UTF-8/);
    assertEquals((await store.listRuns({ limit: 1, offset: 0 })).total, 0);
  });
});

Deno.test("POST /runs: Content-Type is parsed strictly (415 naming what is wrong)", async () => {
  await withTestApp({}, async ({ app }) => {
    const body = JSON.stringify({ work_order_md: workOrderMd() });
    const cases: [string | null, RegExp][] = [
      [null, /Content-Type is missing; use application\/json/],
      ["text/plain", /'text\/plain' is not accepted/],
      ["application/json;", /malformed: a ';' is followed by nothing/],
      ["application/json; charset", /parameter 'charset' is not name=value/],
      ["application/json; charset=latin1", /charset 'latin1' is not accepted/],
      ["application", /not of the form type\/subtype/],
    ];
    for (const [type, message] of cases) {
      const headers: Record<string, string> = type === null
        ? {}
        : { "content-type": type };
      const res = await app.request(
        new Request("http://localhost/runs", {
          method: "POST",
          headers,
          body: type === null ? new Blob([body]) : body,
        }),
      );
      const error = await errorOf(res);
      assertEquals(error.status, 415, String(type));
      assertMatch(error.message, message);
    }
    const ok = await app.request(
      postJson(body, { "content-type": "Application/JSON; charset=UTF-8" }),
    );
    assertEquals(ok.status, 201);
  });
});

Deno.test("POST /runs: work_order_md mixed with fields is refused, each extra field named", async () => {
  await withTestApp({}, async ({ app }) => {
    const res = await errorOf(
      await app.request(postJson(JSON.stringify({
        work_order_md: workOrderMd(),
        max_iterations: 99,
        env: { AOS_X: "1" },
      }))),
    );
    assertEquals(res.status, 422);
    assertEquals(
      (res.details as { field: string }[]).map((d) => d.field),
      ["max_iterations", "env"],
    );
    const notString = await errorOf(
      await app.request(postJson(JSON.stringify({ work_order_md: 5 }))),
    );
    assertEquals(notString.status, 422);
    assertMatch(notString.message, /work_order_md: Must be a string/);
  });
});

Deno.test("POST /runs: fields whose rendered work order is over 1 MiB get 422, not a stuck run", async () => {
  await withTestApp(
    { AOS_MAX_BODY_BYTES: String(8 * 1024 * 1024) },
    async ({ app, store }) => {
      const env: Record<string, string> = {};
      for (let i = 0; i < 40; i++) env[`V${i}`] = "x".repeat(32_000);
      const escaped: Record<string, string> = {};
      for (let i = 0; i < 30; i++) escaped[`V${i}`] = "\x01".repeat(32_000);
      for (
        const fields of [
          { repo: "https://github.com/u/r", task: "t".repeat(1_200_000) },
          { repo: "https://github.com/u/r", task: "t", env },
          // Under the limit as strings, over it as YAML (each \x01 is escaped).
          { repo: "https://github.com/u/r", task: "t", env: escaped },
        ]
      ) {
        const res = await errorOf(
          await app.request(postJson(JSON.stringify(fields))),
        );
        assertEquals(res.status, 422);
        assertMatch(
          res.message,
          /The work order these fields make is (at least )?\d+ bytes, more than the limit of 1048576/,
        );
      }
      assertEquals((await store.listRuns({ limit: 5, offset: 0 })).total, 0);
      const ok = await app.request(postJson(JSON.stringify({
        repo: "https://github.com/u/r",
        task: "t".repeat(900_000),
      })));
      assertEquals(ok.status, 201);
    },
  );
});

Deno.test("POST /runs: local repositories only with AOS_ALLOW_LOCAL_REPOS", async () => {
  const md = JSON.stringify({
    work_order_md: "---\nrepo: /srv/repos/r.git\n---\n\nTask\n",
  });
  await withTestApp({}, async ({ app }) => {
    const res = await errorOf(await app.request(postJson(md)));
    assertEquals(res.status, 422);
    assertMatch(res.message, /AOS_ALLOW_LOCAL_REPOS/);
  });
  await withTestApp({ AOS_ALLOW_LOCAL_REPOS: "true" }, async ({ app }) => {
    assertEquals((await app.request(postJson(md))).status, 201);
  });
});

function postForm(body: Uint8Array, contentType: string): Request {
  return new Request("http://localhost/runs/submit", {
    method: "POST",
    headers: { "content-type": contentType },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

Deno.test("POST /runs/submit: a file upload and a text field are both accepted", async () => {
  await withTestApp({}, async ({ app }) => {
    const form = new FormData();
    form.append("work_order_md", new File([workOrderMd()], "task.md"));
    const file = await app.request(
      new Request("http://localhost/runs/submit", {
        method: "POST",
        body: form,
      }),
    );
    assertEquals(file.status, 201, await file.clone().text());
    assertEquals((await file.json()).repo, "https://github.com/user/repo");
    const text = multipart([{ name: "work_order_md", body: workOrderMd() }]);
    assertEquals(
      (await app.request(postForm(text.body, text.contentType))).status,
      201,
    );
    const urlencoded = new URLSearchParams({ work_order_md: workOrderMd() });
    const res = await app.request(
      new Request("http://localhost/runs/submit", {
        method: "POST",
        body: urlencoded,
      }),
    );
    assertEquals(res.status, 201);
  });
});

Deno.test("POST /runs/submit: bytes that are not UTF-8 are refused as a file, a text field or urlencoded", async () => {
  await withTestApp({}, async ({ app }) => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(workOrderMd()),
      0xff,
      0xfe,
    ]);
    const expected = {
      status: 422,
      code: "validation_failed",
      message: "work_order_md: Work order is not valid UTF-8 text",
      details: [{
        field: "work_order_md",
        message: "Work order is not valid UTF-8 text",
      }],
    };
    for (const filename of [undefined, "task.md"]) {
      const form = multipart([{
        name: "work_order_md",
        body: bytes,
        ...(filename ? { filename } : {}),
      }]);
      assertEquals(
        await errorOf(await app.request(postForm(form.body, form.contentType))),
        expected,
      );
    }
    const urlencoded = new TextEncoder().encode(
      `work_order_md=${encodeURIComponent(workOrderMd())}%FF%FE`,
    );
    assertEquals(
      await errorOf(
        await app.request(
          postForm(urlencoded, "application/x-www-form-urlencoded"),
        ),
      ),
      expected,
    );
  });
});

Deno.test("POST /runs/submit: a double byte order mark is refused as by aos validate", async () => {
  await withTestApp({}, async ({ app }) => {
    const twice = `\uFEFF\uFEFF${workOrderMd()}`;
    const form = multipart([{ name: "work_order_md", body: twice }]);
    const res = await errorOf(
      await app.request(postForm(form.body, form.contentType)),
    );
    assertEquals(res.status, 422);
    assertMatch(res.message, /more than one byte order mark/);
    const viaJson = await errorOf(
      await app.request(postJson(JSON.stringify({ work_order_md: twice }))),
    );
    assertEquals(viaJson.message, res.message);
    const once = multipart([{
      name: "work_order_md",
      body: `\uFEFF${workOrderMd()}`,
    }]);
    assertEquals(
      (await app.request(postForm(once.body, once.contentType))).status,
      201,
    );
  });
});

Deno.test("POST /runs/submit: malformed multipart is a 4xx naming the problem", async () => {
  await withTestApp({}, async ({ app }) => {
    const enc = new TextEncoder();
    const cases: [string, Uint8Array, number, RegExp][] = [
      [
        "multipart/form-data; boundary=",
        enc.encode("--\r\n"),
        415,
        /parameter 'boundary' has an empty value/,
      ],
      [
        "multipart/form-data",
        enc.encode("x"),
        415,
        /boundary parameter is missing/,
      ],
      [
        "multipart/form-data; boundary=abc",
        enc.encode("garbage that is not multipart"),
        400,
        /^Malformed multipart body: /,
      ],
      [
        "multipart/form-data; boundary=abc",
        new Uint8Array(),
        400,
        /^Malformed multipart body: /,
      ],
    ];
    cases.push([
      "multipart/form-data; boundary=abc",
      new Uint8Array([
        ...enc.encode(
          '--abc\r\nContent-Disposition: form-data; name="work_order_md"; filename="',
        ),
        0xff,
        ...enc.encode('.md"\r\n\r\nx\r\n--abc--\r\n'),
      ]),
      400,
      /^Malformed multipart body: a part's headers are not valid UTF-8/,
    ]);
    for (const [type, body, status, message] of cases) {
      const res = await errorOf(await app.request(postForm(body, type)));
      assertEquals(res.status, status, type);
      assertMatch(res.message, message);
    }
    const other = multipart([
      { name: "work_order_md", body: workOrderMd() },
      { name: "max_iterations", body: "99" },
    ]);
    const mixed = await errorOf(
      await app.request(postForm(other.body, other.contentType)),
    );
    assertEquals(mixed.status, 422);
    assertMatch(mixed.message, /Unknown form field 'max_iterations'/);
    const none = multipart([{ name: "x", body: "1" }]);
    const missing = await errorOf(
      await app.request(postForm(none.body, none.contentType)),
    );
    assertMatch(missing.message, /work_order_md: Field is required/);
  });
});

Deno.test("run ids, artifact names, cursors and keys too long for KV are a 400, on every route", async () => {
  await withTestApp({}, async ({ app }) => {
    const long = "x".repeat(3000);
    for (
      const [method, path] of [
        ["GET", `/runs/${long}`],
        ["GET", `/runs/${long}?consistency=strong`],
        ["POST", `/runs/${long}/cancel`],
        ["GET", `/runs/${long}/events`],
        ["GET", `/runs/${long}/events/stream`],
        ["GET", `/runs/${long}/artifacts`],
        ["GET", `/runs/${long}/artifacts/diff.patch`],
        ["GET", `/runs/abc/artifacts/${long}`],
        ["GET", `/runs/abc/events?after=${long}`],
      ] as const
    ) {
      const res = await errorOf(await app.request(path, { method }));
      assertEquals([res.status, res.code], [400, "bad_request"], path);
      assertMatch(
        res.message,
        /Must be at most \d+ characters|<=\d+ characters/,
      );
    }
    const lastEventId = await errorOf(
      await app.request("/runs/abc/events", {
        headers: { "last-event-id": long },
      }),
    );
    assertEquals(lastEventId.status, 400);
    const key = await errorOf(
      await app.request(postJson(
        JSON.stringify({ work_order_md: workOrderMd() }),
        { ...JSON_TYPE, "idempotency-key": long },
      )),
    );
    assertEquals(key.status, 400);
    assertMatch(key.message, /^idempotency-key: Must be at most 200/);
    assertEquals((await app.request("/runs/nope")).status, 404);
  });
});

Deno.test("GET /runs, GET /runs/{id}, cancel: the documented answers", async () => {
  await withTestApp({}, async ({ app }) => {
    const created = await app.request(
      postJson(JSON.stringify({ work_order_md: workOrderMd() }), {
        ...JSON_TYPE,
        "idempotency-key": "k1",
      }),
    );
    assertEquals(created.status, 201);
    const run = await created.json();
    const again = await app.request(
      postJson(JSON.stringify({ work_order_md: workOrderMd() }), {
        ...JSON_TYPE,
        "idempotency-key": "k1",
      }),
    );
    assertEquals([again.status, (await again.json()).id], [200, run.id]);
    const got = await app.request(`/runs/${run.id}?consistency=strong`);
    assertEquals((await got.json()).status, "PENDING");
    const bad = await errorOf(
      await app.request(`/runs/${run.id}?consistency=x`),
    );
    assertEquals(bad.status, 400);
    const list = await (await app.request("/runs?limit=1&status=PENDING"))
      .json();
    assertEquals([list.total, list.runs[0].id], [1, run.id]);
    const limit = await errorOf(await app.request("/runs?limit=0"));
    assertEquals([limit.status, limit.code], [400, "bad_request"]);
    assert((await app.request("/runs?offset=-1")).status === 400);
  });
});
