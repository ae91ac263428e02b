/**
 * network_allow end to end: the SE's run_command and the acceptance commands
 * reach the allowed host (a loopback test rig named through the explicit
 * AOS_NETWORK_TEST_TARGETS override) through the egress proxy and are refused
 * another; each connection is a NET_ALLOWED / NET_REFUSED event naming its
 * source. AOS_NETWORK_ALLOW_MAX caps what a work order may ask (422).
 */
import assert from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { poVerdict } from "../lib/llm/testing.ts";

Deno.test("network_allow: SE and acceptance commands reach the allowed host only, each connection an event", async () => {
  const hits: string[] = [];
  const origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      hits.push(new URL(req.url).pathname);
      return new Response("origin ok\n");
    },
  );
  try {
    await withHarness({
      env: {
        AOS_NETWORK_ALLOW_MAX: "origin.test, *.example.org",
        AOS_NETWORK_TEST_TARGETS: `origin.test=127.0.0.1:${origin.addr.port}`,
      },
      script: {
        se: [
          {
            tool_calls: [
              {
                name: "run_command",
                arguments: {
                  command:
                    "curl -sS http://origin.test/se; curl -sS -o /dev/null -w 'other=%{http_code}\\n' http://other.test/",
                },
              },
              {
                name: "write_file",
                arguments: { path: "NOTES.md", content: "notes\n" },
              },
            ],
          },
          { tool_calls: [{ name: "finish", arguments: { summary: "notes" } }] },
        ],
        po: [poVerdict("PASS", "ok")],
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({
        network_allow: ["origin.test"],
        acceptance_commands: [
          "curl -sSf http://origin.test/acceptance",
          "! curl -sSf http://other.test/",
          "! curl -sSf --noproxy '*' --max-time 5 http://origin.test/direct",
        ],
      }));
      const done = await h.waitForEnd(run.id);
      assert.equal(done.status, "SUCCEEDED", done.error ?? "");
      assert.deepEqual(hits, ["/se", "/acceptance"]);
      const net = (await h.svc.store.listEvents(run.id))
        .filter((e) => e.kind.startsWith("NET_"))
        .map((e) => `${e.kind} ${e.payload.source} ${e.payload.host}`);
      assert.deepEqual(net, [
        "NET_ALLOWED se origin.test",
        "NET_REFUSED se other.test",
        "NET_ALLOWED acceptance origin.test",
        "NET_REFUSED acceptance other.test",
      ]);
      // The SE was told, and what its command got back shows the refusal.
      const sent = JSON.stringify(h.model.requests.map((r) => r.body));
      assert.match(sent, /network only to origin\.test/);
      assert.match(sent, /origin ok/);
      assert.match(sent, /other=403/);
    });
  } finally {
    await origin.shutdown();
  }
});

Deno.test("network_allow beyond AOS_NETWORK_ALLOW_MAX, or with it unset, is a 422", async () => {
  const submit = async (url: string, md: string) => {
    const res = await fetch(`${url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ work_order_md: md }),
    });
    return { status: res.status, body: await res.json() };
  };
  await withHarness({}, async (h) => {
    const off = await submit(
      h.svc.url,
      h.workOrder({ network_allow: ["pypi.org"] }),
    );
    assert.equal(off.status, 422);
    assert.match(
      off.body.error.details[0].message,
      /AOS_NETWORK_ALLOW_MAX is unset/,
    );
  });
  await withHarness(
    { env: { AOS_NETWORK_ALLOW_MAX: "*.npmjs.org" } },
    async (h) => {
      const beyond = await submit(
        h.svc.url,
        h.workOrder({ network_allow: ["registry.npmjs.org", "evil.example"] }),
      );
      assert.equal(beyond.status, 422);
      assert.deepEqual(
        beyond.body.error.details.map((d: { field: string }) => d.field),
        ["network_allow.1"],
      );
    },
  );
});
