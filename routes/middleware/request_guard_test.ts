/**
 * A hostile web page against the API and dashboard, through `app.request()`:
 * cross-site form posts and DNS rebinding, each as the browser would send it.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import {
  errorOf,
  multipart,
  type TestApp,
  withTestApp,
  workOrderMd,
} from "../testing.ts";
import { requestPolicy, requestRefusal } from "./request_guard.ts";

const EVIL = "https://evil.example";
/** What a browser adds to a form POST that a page on evil.example makes. */
const FROM_EVIL_PAGE = {
  origin: EVIL,
  "sec-fetch-site": "cross-site",
  "sec-fetch-mode": "navigate",
  "sec-fetch-dest": "document",
};

function urlencoded(md: string): string {
  return `work_order_md=${encodeURIComponent(md)}`;
}

async function runCount(t: TestApp): Promise<number> {
  return (await t.store.listRuns({ limit: 1, offset: 0 })).total;
}

Deno.test("a cross-site form POST to /runs/submit is refused with 403 and creates no run", async () => {
  await withTestApp({}, async (t) => {
    const form = multipart([{ name: "work_order_md", body: workOrderMd() }]);
    const attacks: [string, RequestInit][] = [
      ["urlencoded form", {
        method: "POST",
        headers: {
          ...FROM_EVIL_PAGE,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: urlencoded(workOrderMd()),
      }],
      ["multipart form", {
        method: "POST",
        headers: { ...FROM_EVIL_PAGE, "content-type": form.contentType },
        body: form.body as Uint8Array<ArrayBuffer>,
      }],
      // A browser without Fetch Metadata still sends Origin on a POST.
      ["Origin only", {
        method: "POST",
        headers: {
          origin: EVIL,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: urlencoded(workOrderMd()),
      }],
      // A page in a sandboxed frame or a redirect chain: Origin "null".
      ["Origin null", {
        method: "POST",
        headers: {
          origin: "null",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: urlencoded(workOrderMd()),
      }],
      // Fetch Metadata without Origin.
      ["Sec-Fetch-Site only", {
        method: "POST",
        headers: {
          "sec-fetch-site": "cross-site",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: urlencoded(workOrderMd()),
      }],
      // Another port of localhost is the same site, not the same origin.
      ["another local port", {
        method: "POST",
        headers: {
          origin: "http://localhost:3000",
          "sec-fetch-site": "same-site",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: urlencoded(workOrderMd()),
      }],
    ];
    for (const [name, init] of attacks) {
      const res = await t.app.request("/runs/submit", init);
      const error = await errorOf(res);
      assertEquals(
        [error.status, error.code],
        [403, "cross_site_refused"],
        name,
      );
    }
    // JSON with a simple content type is not possible from a form, but a
    // fetch() in no-cors mode may try; and cancel and the dashboard's forms.
    const json = await t.app.request("/runs", {
      method: "POST",
      headers: {
        origin: EVIL,
        "sec-fetch-site": "cross-site",
        "content-type": "application/json",
      },
      body: JSON.stringify({ work_order_md: workOrderMd() }),
    });
    assertEquals(json.status, 403);
    const ui = await t.app.request("/ui/submit", {
      method: "POST",
      headers: {
        ...FROM_EVIL_PAGE,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: urlencoded(workOrderMd()),
    });
    assertEquals(ui.status, 403);
    assertEquals(await runCount(t), 0);
  });
});

Deno.test("clients that are not browsers and the service's own pages still submit", async () => {
  await withTestApp({}, async (t) => {
    const post = (headers: Record<string, string>) =>
      t.app.request("/runs/submit", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          ...headers,
        },
        body: urlencoded(workOrderMd()),
      });
    // curl and the CLI send neither Origin nor Sec-Fetch-Site.
    assertEquals((await post({})).status, 201);
    // The service's own page (Swagger UI at /docs, the dashboard).
    assertEquals(
      (await post({
        host: "localhost:8000",
        origin: "http://localhost:8000",
        "sec-fetch-site": "same-origin",
      })).status,
      201,
    );
    assertEquals(
      (await post({ host: "127.0.0.1:8000", origin: "http://127.0.0.1:8000" }))
        .status,
      201,
    );
    assertEquals(await runCount(t), 3);
  });
});

Deno.test("cross-site reads: a link from another site opens the page, a subresource load is refused", async () => {
  await withTestApp({}, async (t) => {
    const run = await (await t.app.request("/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ work_order_md: workOrderMd() }),
    })).json();
    const link = await t.app.request(`/ui/runs/${run.id}`, {
      headers: {
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "navigate",
        "sec-fetch-dest": "document",
      },
    });
    assertEquals(link.status, 200);
    // <img src> / <script src> at the API from another site: no-cors loads.
    for (const path of [`/runs/${run.id}`, "/runs", `/runs/${run.id}/events`]) {
      const res = await t.app.request(path, {
        headers: {
          "sec-fetch-site": "cross-site",
          "sec-fetch-mode": "no-cors",
        },
      });
      assertEquals(res.status, 403, path);
    }
    // A cross-origin fetch() (CORS mode): refused, and never any CORS header.
    const cors = await t.app.request("/runs", {
      headers: { origin: EVIL, "sec-fetch-site": "cross-site" },
    });
    assertEquals(cors.status, 403);
    assertEquals(cors.headers.get("access-control-allow-origin"), null);
    const preflight = await t.app.request("/runs", {
      method: "OPTIONS",
      headers: {
        origin: EVIL,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
      },
    });
    assertEquals(preflight.status, 403);
    assertEquals(preflight.headers.get("access-control-allow-origin"), null);
    // A cross-site navigation cannot be a POST.
    const cancel = await t.app.request(`/runs/${run.id}/cancel`, {
      method: "POST",
      headers: FROM_EVIL_PAGE,
    });
    assertEquals(cancel.status, 403);
  });
});

Deno.test("DNS rebinding: a Host that is not the service's is refused with 421 without a token", async () => {
  await withTestApp({}, async (t) => {
    const run = await (await t.app.request("/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ work_order_md: workOrderMd() }),
    })).json();
    const rebound = [
      "evil.example",
      "evil.example:8000",
      "127.0.0.1.nip.io:8000",
      "localhost.evil.example",
      "EVIL.example.",
      "localhost@evil.example",
      "evil.example/.localhost",
      "",
    ];
    const paths: [string, Record<string, string>][] = [
      ["/runs", {}],
      [`/runs/${run.id}`, {}],
      [`/runs/${run.id}/events`, { accept: "text/event-stream" }],
      ["/ui", {}],
      [`/ui/runs/${run.id}/events`, { accept: "text/event-stream" }],
      ["/openapi.json", {}],
    ];
    for (const host of rebound) {
      for (const [path, headers] of paths) {
        // The rebound page reads its "own" origin: same-origin to the browser.
        const res = await t.app.request(path, {
          headers: {
            ...headers,
            host,
            "sec-fetch-site": "same-origin",
          },
        });
        const error = await errorOf(res);
        assertEquals(
          [error.status, error.code],
          [421, "misdirected_request"],
          `${host} ${path}`,
        );
      }
    }
    const post = await t.app.request("/runs", {
      method: "POST",
      headers: {
        host: "evil.example:8000",
        origin: "http://evil.example:8000",
        "content-type": "application/json",
      },
      body: JSON.stringify({ work_order_md: workOrderMd() }),
    });
    assertMatch((await errorOf(post)).message, /AOS_ALLOWED_HOSTS/);
    assertEquals(await runCount(t), 1);
    // Names that cannot be rebound answer.
    for (
      const host of [
        "localhost",
        "localhost:8000",
        "LOCALHOST.:8000",
        "aos.localhost:8000",
        "127.0.0.1:8000",
        "[::1]:8000",
        "10.1.2.3",
        "[fd00::1]:80",
      ]
    ) {
      const res = await t.app.request(`/runs/${run.id}`, { headers: { host } });
      assertEquals(res.status, 200, host);
    }
  });
});

Deno.test("AOS_PUBLIC_URL and AOS_ALLOWED_HOSTS name the hosts and origin the service answers", async () => {
  await withTestApp({
    AOS_PUBLIC_URL: "https://aos.example.com/",
    AOS_ALLOWED_HOSTS: "aos-internal, *.corp.example",
  }, async (t) => {
    for (
      const host of [
        "aos.example.com",
        "aos-internal:8000",
        "build.corp.example",
      ]
    ) {
      assertEquals(
        (await t.app.request("/runs", { headers: { host } })).status,
        200,
        host,
      );
    }
    for (const host of ["corp.example", "aos.example.com.evil.example"]) {
      assertEquals(
        (await t.app.request("/runs", { headers: { host } })).status,
        421,
        host,
      );
    }
    // Behind a proxy that sends the upstream's Host, the public origin's
    // pages may still post.
    const res = await t.app.request("/runs", {
      method: "POST",
      headers: {
        host: "127.0.0.1:8000",
        origin: "https://aos.example.com",
        "sec-fetch-site": "same-origin",
        "content-type": "application/json",
      },
      body: JSON.stringify({ work_order_md: workOrderMd() }),
    });
    assertEquals(res.status, 201);
  });
});

Deno.test("with AOS_API_TOKEN the Host rule is off unless AOS_ALLOWED_HOSTS is set; cross-site stays refused", async () => {
  const auth = { authorization: "Bearer tok-123" };
  await withTestApp({ AOS_API_TOKEN: "tok-123" }, async (t) => {
    // A rebound page has no token to send: 401, nothing read.
    const rebound = await t.app.request("/runs", {
      headers: { host: "evil.example" },
    });
    assertEquals(rebound.status, 401);
    const named = await t.app.request("/runs", {
      headers: { host: "aos.anywhere.example", ...auth },
    });
    assertEquals(named.status, 200);
    const crossSite = await t.app.request("/runs/submit", {
      method: "POST",
      headers: {
        ...FROM_EVIL_PAGE,
        ...auth,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: urlencoded(workOrderMd()),
    });
    assertEquals(crossSite.status, 403);
  });
  await withTestApp({
    AOS_API_TOKEN: "tok-123",
    AOS_ALLOWED_HOSTS: "aos.example.com",
  }, async (t) => {
    const res = await t.app.request("/runs", {
      headers: { host: "evil.example", ...auth },
    });
    assertEquals(res.status, 421);
  });
});

Deno.test("requestRefusal() keeps its verdicts while a client makes up thousands of Hosts", () => {
  const policy = requestPolicy({
    apiToken: null,
    publicUrl: null,
    allowedHosts: [],
  });
  const at = (host: string) =>
    requestRefusal(
      new Request("http://localhost/runs", { headers: { host } }),
      policy,
    )?.status ?? 200;
  for (let i = 0; i < 2000; i++) {
    assertEquals(at(`h${i}.evil.example`), 421);
    if (i % 300 === 0) assertEquals(at("localhost:8000"), 200);
  }
  assertEquals(at("localhost:8000"), 200);
  assertEquals(at("h1.evil.example"), 421);
});
