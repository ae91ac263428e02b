/**
 * A hostile web page against a real service with no AOS_API_TOKEN (the
 * default), played by a real browser: a page on another site posts forms
 * to /runs/submit, and a page whose name is re-pointed at 127.0.0.1 (DNS
 * rebinding, done with Chromium's host resolver rules) tries to read the
 * API as its own origin. Plus the rebound Host sent by hand to the fast
 * path and the event stream, which only a real server has.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { withBrowser } from "./support/browser.ts";
import { withHarness } from "./support/harness.ts";

const TIMEOUT = 60_000;

/** A raw HTTP/1.1 GET with any Host header (fetch() will not send a false one). */
async function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; head: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\n${lines.join("")}Connection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(8192);
    const n = await conn.read(buf);
    const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    return { status: Number(head.split(" ")[1]), head };
  } finally {
    conn.close();
  }
}

/** The attacker's site: pages that send the browser at the service. */
function attackerSite(target: string, workOrder: string) {
  const esc = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const enctype = new URL(req.url).searchParams.get("enctype") ??
        "application/x-www-form-urlencoded";
      const html = `<!DOCTYPE html><html><body>
<form id="f" method="POST" action="${target}/runs/submit" enctype="${enctype}">
<textarea name="work_order_md">${esc(workOrder)}</textarea>
<button id="go" type="submit">win a prize</button></form>
<script>
// A no-cors fetch cannot read the answer but would still deliver the POST.
fetch(${JSON.stringify(`${target}/runs/submit`)}, {
  method: "POST", mode: "no-cors",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "work_order_md=" + encodeURIComponent(${JSON.stringify(workOrder)}),
}).finally(() => { document.title = "fetched"; });
</script></body></html>`;
      return new Response(html, { headers: { "content-type": "text/html" } });
    },
  );
}

Deno.test({
  name:
    "a hostile page: cross-site form posts are 403 and run nothing; a rebound name reads nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
      const target = h.svc.url; // http://127.0.0.1:PORT
      const port = h.svc.port;
      const workOrder = h.workOrder({ title: "planted by evil.example" });
      const attacker = attackerSite(target, workOrder);
      const attackerUrl = `http://attacker.example:${attacker.addr.port}`;
      try {
        await withBrowser(async (open) => {
          const { page } = await open();
          for (
            const enctype of [
              "application/x-www-form-urlencoded",
              "multipart/form-data",
            ]
          ) {
            await page.goto(`${attackerUrl}/?enctype=${enctype}`);
            await page.waitForFunction('document.title === "fetched"', {
              timeout: TIMEOUT,
            });
            const [response] = await Promise.all([
              page.waitForNavigation({ timeout: TIMEOUT }),
              page.click("#go"),
            ]);
            assertEquals(response?.status(), 403, enctype);
            assertMatch(await response!.text(), /cross_site_refused/);
          }

          // DNS rebinding: evil.example now resolves to the service. The
          // page is "same-origin" with what it reads, so only Host tells.
          const rebound = `http://evil.example:${port}`;
          for (const path of ["/runs", "/ui", "/openapi.json"]) {
            const response = await page.goto(`${rebound}${path}`);
            assertEquals(response?.status(), 421, path);
          }
          const read = await page.evaluate(async () => {
            const res = await fetch("/runs?limit=200");
            return { status: res.status, body: await res.text() };
          });
          assertEquals(read.status, 421);
          assert(!read.body.includes("planted"), read.body);
        }, {
          args: [
            "--host-resolver-rules=MAP attacker.example 127.0.0.1, MAP evil.example 127.0.0.1",
          ],
        });
      } finally {
        await attacker.shutdown();
      }
      // Nothing the page sent was accepted: no run exists.
      const list = await (await fetch(`${target}/runs`)).json();
      assertEquals(list.total, 0);

      // curl-style clients (no Origin, no Sec-Fetch-*) keep working, and
      // the fast path (a cached GET /runs/{id}) and the event stream refuse
      // the rebound Host like every route.
      const run = await h.submit(h.workOrder({ title: "mine" }));
      const cached = await fetch(`${target}/runs/${run.id}`);
      assertEquals(cached.status, 200);
      await cached.body?.cancel();
      for (
        const [path, headers] of [
          [`/runs/${run.id}`, {}],
          [`/runs/${run.id}/events`, { accept: "text/event-stream" }],
          [`/runs/${run.id}/events/stream`, {}],
          [`/ui/runs/${run.id}/events`, { accept: "text/event-stream" }],
        ] as [string, Record<string, string>][]
      ) {
        const evil = await rawGet(port, path, {
          ...headers,
          host: `evil.example:${port}`,
        });
        assertEquals(evil.status, 421, path);
        assertMatch(evil.head, /misdirected_request/);
        const mine = await rawGet(port, path, {
          ...headers,
          host: `localhost:${port}`,
        });
        assertEquals(mine.status, 200, path);
      }
    });
  },
});
