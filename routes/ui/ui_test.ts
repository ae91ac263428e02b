/** The dashboard's routes through `app.request()`, on a real KV file and run store. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { RunService } from "../../actors/run/service.ts";
import { loadConfig } from "../../lib/config.ts";
import { Redactor } from "../../lib/redact.ts";
import { RUN_STATUSES, type RunRecord, RunStore } from "../../lib/store/mod.ts";
import {
  appendEvent,
  countingKv,
  createRun,
  sampleRun,
  tempKv,
} from "../../lib/store/testing.ts";
import { ActorSystem } from "../../runtime/mod.ts";
import { uiApp } from "./mod.ts";

const TOKEN = "ui-unit-token-7c1d9e";

async function withUi(
  env: Record<string, string>,
  fn: (ui: ReturnType<typeof uiApp>, store: RunStore, kv: Deno.Kv) => Promise<
    void
  >,
): Promise<void> {
  const t = await tempKv();
  try {
    const store = new RunStore(t.kv);
    // Never started: submits are stored (PENDING) but not run.
    const system = new ActorSystem(t.kv, {
      logKey: (owner, seq) => store.eventKey(owner.id, seq),
    });
    const runs = new RunService({ store, system, repoAllowlist: [] });
    const config = loadConfig({ AOS_KV: ":memory:", ...env });
    const redactor = new Redactor([config.apiToken, config.openaiApiKey]);
    await fn(uiApp({ config, store, runs, redactor }), store, t.kv);
  } finally {
    await t.close();
  }
}

/** Cookies of a response as `name=value` pairs for the next request. */
function cookiesOf(res: Response): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, ...value] = pair!.split("=");
    jar[name!] = value.join("=");
  }
  return jar;
}
const cookieHeader = (jar: Record<string, string>) =>
  Object.entries(jar).map(([k, v]) => `${k}=${v}`).join("; ");
const csrfOf = (html: string) =>
  html.match(/<meta name="csrf-token" content="([^"]+)"/)![1]!;

Deno.test("/ redirects to /ui; pages carry a strict CSP and no external asset", async () => {
  await withUi({}, async (ui) => {
    const root = await ui.request("/");
    assertEquals([root.status, root.headers.get("location")], [302, "/ui"]);
    const page = await ui.request("/ui");
    assertEquals(page.status, 200);
    assertMatch(
      page.headers.get("content-security-policy")!,
      /default-src 'self'/,
    );
    const html = await page.text();
    assert(html.startsWith("<!DOCTYPE html>"));
    for (const [, url] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
      assert(/^(\/|data:|#)/.test(url!), `external reference ${url}`);
    }
    const css = html.match(/href="(\/ui\/assets\/[^"]+app\.css)"/)![1]!;
    const asset = await ui.request(css);
    assertEquals(asset.status, 200);
    assertMatch(asset.headers.get("cache-control")!, /immutable/);
    const missing = await ui.request("/ui/assets/abc/nope.js");
    assertEquals(missing.status, 404);
    const unknown = await ui.request("/ui/nowhere");
    assertEquals(unknown.status, 404);
    assertMatch(await unknown.text(), /No dashboard page at \/ui\/nowhere/);
  });
});

Deno.test("runs page reads only the page it shows: index keys for offset+limit, records for limit", async () => {
  const t = await tempKv();
  try {
    const writer = new RunStore(t.kv);
    for (let i = 0; i < 130; i++) {
      await createRun(
        writer,
        sampleRun({
          title: `Run ${i}`,
          status: i % 10 === 0 ? "FAILED" : "PENDING",
        }),
      );
    }
    const counting = countingKv(t.kv);
    const store = new RunStore(counting.kv);
    const system = new ActorSystem(t.kv, {
      logKey: (owner, seq) => store.eventKey(owner.id, seq),
    });
    const ui = uiApp({
      config: loadConfig({ AOS_KV: ":memory:" }),
      redactor: new Redactor([]),
      store,
      runs: new RunService({ store, system, repoAllowlist: [] }),
    });
    const res = await ui.request("/ui?offset=50");
    const html = await res.text();
    assertEquals(res.status, 200);
    assertEquals(html.match(/<tr id="run-/g)?.length, 50);
    // Newest first: Run 129 is first on page 1, so page 2 starts at Run 79.
    assertMatch(html, /Run 79<\/a>[\s\S]*Run 30<\/a>/);
    assertMatch(html, /51–100 of 130/);
    assertEquals(counting.listed(), 100);
    // 50 records, plus the counters (read for the total and for the filter).
    assert(
      counting.fetched() <= 50 + 2 * (RUN_STATUSES.length + 1),
      `fetched ${counting.fetched()}`,
    );

    const failed = await (await ui.request("/ui?status=FAILED")).text();
    assertEquals(failed.match(/<tr id="run-/g)?.length, 13);
    assertMatch(failed, /FAILED <span class="count">13<\/span>/);
    assertMatch(failed, /All <span class="count">130<\/span>/);

    const bad = await ui.request("/ui?status=NOPE&limit=0");
    assertEquals(bad.status, 400);
    const text = await bad.text();
    assertMatch(text, /status must be one of PENDING/);
    assertMatch(
      text,
      /limit must be an integer from 1 to 200, got &#39;0&#39;/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("state-changing requests need the page's CSRF token and the same origin", async () => {
  await withUi({}, async (ui) => {
    const page = await ui.request("/ui/submit");
    const jar = cookiesOf(page);
    const csrf = csrfOf(await page.text());
    assertEquals(jar.aos_csrf, csrf);
    const body = JSON.stringify({
      work_order_md: "---\nmax_iterations: 99\n---\n",
    });
    const post = (headers: Record<string, string>) =>
      ui.request("/ui/validate", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    assertEquals((await post({ cookie: cookieHeader(jar) })).status, 403);
    assertEquals(
      (await post({
        cookie: cookieHeader(jar),
        "x-csrf-token": "x".repeat(43),
      }))
        .status,
      403,
    );
    assertEquals(
      (await post({
        cookie: cookieHeader(jar),
        "x-csrf-token": csrf,
        origin: "https://evil.example",
      })).status,
      403,
    );
    const ok = await post({ cookie: cookieHeader(jar), "x-csrf-token": csrf });
    assertEquals(ok.status, 200);
    const result = await ok.json();
    assertEquals(result.ok, false);
    const fields = result.issues.map((i: { field: string }) => i.field);
    assert(
      fields.includes("repo") && fields.includes("max_iterations"),
      fields,
    );
    const iterations = result.issues.find((i: { field: string }) =>
      i.field === "max_iterations"
    );
    assertEquals(iterations.line, 2);
    // The API's strict JSON reader: too deep or not UTF-8 is a 400, not a 500.
    for (
      const hostile of [
        new TextEncoder().encode(
          `{"work_order_md":"x","a":${"[".repeat(100_000)}${
            "]".repeat(100_000)
          }}`,
        ),
        new Uint8Array([
          ...new TextEncoder().encode('{"work_order_md":"'),
          0xff,
          0x22,
          0x7d,
        ]),
      ]
    ) {
      const res = await ui.request("/ui/validate", {
        method: "POST",
        headers: {
          cookie: cookieHeader(jar),
          "x-csrf-token": csrf,
          "content-type": "application/json",
        },
        body: hostile,
      });
      assertEquals(res.status, 400);
    }
    const notJson = await ui.request("/ui/validate", {
      method: "POST",
      headers: { cookie: cookieHeader(jar), "x-csrf-token": csrf },
      body: "nope",
    });
    assertEquals(notJson.status, 400);
  });
});

Deno.test("submit form: a valid work order lands on its run page, an invalid one is shown back with 422", async () => {
  await withUi({}, async (ui, store) => {
    const page = await ui.request("/ui/submit");
    const cookie = cookieHeader(cookiesOf(page));
    const csrf = csrfOf(await page.text());
    const submit = (md: string, asFile = false) => {
      const form = new FormData();
      form.set("_csrf", csrf);
      if (asFile) {
        form.set("work_order_file", new File([md], "task.md"));
        form.set("work_order_md", "");
      } else form.set("work_order_md", md);
      return ui.request("/ui/submit", {
        method: "POST",
        headers: { cookie },
        body: form,
      });
    };
    const bad = await submit("---\nrepo: x\nmax_iterations: 0\n---\n\nDo.\n");
    assertEquals(bad.status, 422);
    assertMatch(await bad.text(), /max_iterations[\s\S]*line 3/);
    assertEquals((await store.counts()).total, 0);

    const good = await submit(
      "---\nrepo: https://github.com/user/repo\ntitle: From the form\n---\n\nDo.\n",
      true,
    );
    assertEquals(good.status, 303);
    const location = good.headers.get("location")!;
    const id = location.match(/^\/ui\/runs\/([0-9a-f-]{36})$/)![1]!;
    assertEquals((await store.getRun(id)).title, "From the form");
    const runPage = await ui.request(location, { headers: { cookie } });
    assertEquals(runPage.status, 200);
    assertMatch(await runPage.text(), /From the form[\s\S]*Cancel run/);

    const notUtf8 = new FormData();
    notUtf8.set("_csrf", csrf);
    notUtf8.set(
      "work_order_file",
      new File([new Uint8Array([0xff, 0xfe])], "x.md"),
    );
    const res = await ui.request("/ui/submit", {
      method: "POST",
      headers: { cookie },
      body: notUtf8,
    });
    assertEquals(res.status, 422);
    assertMatch(await res.text(), /Work order is not valid UTF-8 text/);
  });
});

Deno.test("run routes: 404 page, events JSON, artifact download as attachment, bad input 400", async () => {
  await withUi({}, async (ui, store) => {
    const missing = await ui.request(
      "/ui/runs/0190d4c2-0000-7000-8000-000000000000",
    );
    assertEquals(missing.status, 404);
    assertMatch(
      await missing.text(),
      /Run &#39;0190d4c2-0000-7000-8000-000000000000&#39; not found/,
    );
    const run = await createRun(
      store,
      sampleRun({ title: "<script>alert(1)</script>" }),
    );
    const page = await (await ui.request(`/ui/runs/${run.id}`)).text();
    assert(!page.includes("<script>alert(1)</script>"), "title is escaped");
    await appendEvent(store, run.id, { kind: "RUN_START", payload: {} });
    const events = await (await ui.request(`/ui/runs/${run.id}/events`)).json();
    assertEquals(events.map((e: { kind: string }) => e.kind), [
      "RUN_CREATED",
      "RUN_START",
    ]);
    const after = await (await ui.request(
      `/ui/runs/${run.id}/events?after=${events[0].seq}`,
    )).json();
    assertEquals(after.length, 1);
    assertEquals(
      (await ui.request(
        `/ui/runs/${run.id}/events?after=${encodeURIComponent("../x")}`,
      )).status,
      400,
    );
    await store.putArtifact(
      run.id,
      "diff.patch",
      "<html>not a page</html>",
      "text/html",
    );
    const download = await ui.request(
      `/ui/runs/${run.id}/artifacts/diff.patch`,
    );
    assertEquals(download.status, 200);
    assertMatch(download.headers.get("content-disposition")!, /^attachment/);
    assertMatch(download.headers.get("content-security-policy")!, /sandbox/);
    assertEquals(await download.text(), "<html>not a page</html>");
    assertEquals(
      (await ui.request(`/ui/runs/${run.id}/artifacts/..x`)).status,
      400,
    );
    assertEquals(
      (await ui.request(`/ui/runs/${run.id}/artifacts/none.json`)).status,
      404,
    );
    assertEquals((await ui.request("/ui/live/runs?ids=not-an-id")).status, 400);

    // The pull request link shows when the record has one, and only as http(s).
    const withPr = await createRun(store, {
      ...sampleRun(),
      pull_request_url: "https://git.example.com/o/r/pulls/7",
    } as RunRecord);
    assertMatch(
      await (await ui.request(`/ui/runs/${withPr.id}`)).text(),
      /<a href="https:\/\/git.example.com\/o\/r\/pulls\/7"/,
    );
    const badPr = await createRun(store, {
      ...sampleRun(),
      pull_request_url: "javascript:alert(1)",
    } as RunRecord);
    const badPage = await (await ui.request(`/ui/runs/${badPr.id}`)).text();
    assert(!badPage.includes("javascript:"), "a javascript: URL is not linked");
  });
});

Deno.test("over-long run ids on every run route are a 400, never a 500 from the store", async () => {
  await withUi({}, async (ui) => {
    const id = "a".repeat(5000);
    for (
      const [path, headers] of [
        [`/ui/runs/${id}`, {}],
        [`/ui/runs/${id}/body`, {}],
        [`/ui/runs/${id}/events`, {}],
        [`/ui/runs/${id}/events`, { accept: "text/event-stream" }],
        [`/ui/runs/${id}/events`, { accept: "application/json" }],
        [`/ui/runs/${id}/artifacts/diff.patch`, {}],
      ] as [string, Record<string, string>][]
    ) {
      const res = await ui.request(path, { headers });
      assertEquals(res.status, 400, `${path.slice(0, 20)}… ${headers.accept}`);
      assertMatch(await res.text(), /id: Must be at most 100 characters/);
    }
    const json = await ui.request(`/ui/runs/${id}/events`, {
      headers: { accept: "application/json" },
    });
    assertEquals((await json.json()).error.code, "bad_request");
    // The cancel form too (it carries the page's CSRF token).
    const page = await ui.request("/ui/submit");
    const csrf = csrfOf(await page.text());
    const cancel = await ui.request(`/ui/runs/${id}/cancel`, {
      method: "POST",
      headers: {
        cookie: cookieHeader(cookiesOf(page)),
        "x-csrf-token": csrf,
      },
    });
    assertEquals(cancel.status, 400);
  });
});

Deno.test("run event stream resumes after Last-Event-ID, sends rendered lines and ends after RUN_END", async () => {
  await withUi({}, async (ui, store) => {
    const run = await createRun(store, sampleRun());
    const started = await appendEvent(store, run.id, { kind: "RUN_START" });
    await appendEvent(store, run.id, {
      kind: "PO_RESULT",
      iteration: 1,
      payload: { decision: "FAIL", feedback: "<b>no</b>" },
    });
    await appendEvent(store, run.id, {
      kind: "RUN_END",
      payload: { status: "FAILED" },
    });
    const res = await ui.request(`/ui/runs/${run.id}/events`, {
      headers: { accept: "text/event-stream", "last-event-id": started.seq },
    });
    assertEquals(res.headers.get("content-type"), "text/event-stream");
    // The stream closes by itself after RUN_END, so the whole body arrives.
    const body = await res.text();
    const messages = body.split("\n\n").filter((m) => m.includes("data:"));
    const data = messages.map((m) =>
      JSON.parse(m.split("\n").find((l) => l.startsWith("data:"))!.slice(5))
    );
    assertEquals(data.map((d) => d.kind ?? "end"), [
      "PO_RESULT",
      "RUN_END",
      "end",
    ]);
    assertEquals(data[0].refresh, true);
    assertMatch(data[0].html, /&lt;b&gt;no&lt;\/b&gt;/);
    assertMatch(messages[0]!, new RegExp(`^id: ${data[0].seq}`, "m"));
  });
});

Deno.test("with AOS_API_TOKEN: sign-in page only, session cookie after it, sign-out revokes it", async () => {
  await withUi({ AOS_API_TOKEN: TOKEN }, async (ui) => {
    const gated = await ui.request("/ui/runs/abc?x=1");
    assertEquals(gated.status, 303);
    assertEquals(
      gated.headers.get("location"),
      "/ui/login?next=%2Fui%2Fruns%2Fabc%3Fx%3D1",
    );
    const api = await ui.request("/ui/live/runs", {
      headers: { accept: "text/event-stream" },
    });
    assertEquals(api.status, 401);
    const login = await ui.request("/ui/login?next=/ui/submit");
    const loginHtml = await login.text();
    assert(!loginHtml.includes(TOKEN));
    const jar = cookiesOf(login);
    const csrf = csrfOf(loginHtml);
    const signIn = (token: string, next = "/ui/submit") =>
      ui.request("/ui/login", {
        method: "POST",
        headers: {
          cookie: cookieHeader(jar),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ _csrf: csrf, token, next }).toString(),
      });
    const wrong = await signIn("nope");
    assertEquals(wrong.status, 303);
    assertEquals(
      wrong.headers.get("location"),
      "/ui/login?failed=1&next=%2Fui%2Fsubmit",
    );
    assertEquals(wrong.headers.getSetCookie().length, 0);
    // An off-site `next` is ignored.
    const right = await signIn(TOKEN, "https://evil.example/");
    assertEquals([right.status, right.headers.get("location")], [303, "/ui"]);
    const setCookie = right.headers.getSetCookie().find((c) =>
      c.startsWith("aos_session=")
    )!;
    assertMatch(setCookie, /HttpOnly/);
    assertMatch(setCookie, /SameSite=Strict/);
    assertMatch(setCookie, /Path=\/ui/);
    assert(!setCookie.includes(TOKEN));
    const session = { ...jar, ...cookiesOf(right) };
    const page = await ui.request("/ui", {
      headers: { cookie: cookieHeader(session) },
    });
    assertEquals(page.status, 200);
    const html = await page.text();
    assert(!html.includes(TOKEN));
    const sessionCsrf = csrfOf(html);
    assert(sessionCsrf !== csrf, "a session has its own CSRF token");
    const out = await ui.request("/ui/logout", {
      method: "POST",
      headers: {
        cookie: cookieHeader(session),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: sessionCsrf }).toString(),
    });
    assertEquals([out.status, out.headers.get("location")], [303, "/ui/login"]);
    // The old cookie no longer opens anything (the session is gone server side).
    const after = await ui.request("/ui", {
      headers: { cookie: cookieHeader(session) },
    });
    assertEquals(after.status, 303);
  });
});
