import assert from "node:assert/strict";
import { join } from "node:path";
import { type EgressEvent, startEgressProxy } from "./proxy.ts";
import type { EgressProxyOptions } from "./proxy.ts";

/** A loopback HTTP server standing in for an allowed (or any other) host. */
function origin() {
  const hits: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      hits.push(
        `${req.method} ${new URL(req.url).pathname} ${req.headers.get("host")}`,
      );
      return new Response("hello from origin\n");
    },
  );
  return { port: server.addr.port, hits, close: () => server.shutdown() };
}

async function withProxy(
  opts: Omit<EgressProxyOptions, "socketPath" | "onEvent">,
  fn: (
    ask: (head: string, after?: string) => Promise<string>,
    events: EgressEvent[],
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aos-egress-" });
  const events: EgressEvent[] = [];
  const proxy = startEgressProxy({
    ...opts,
    socketPath: join(dir, "proxy.sock"),
    onEvent: (e) => events.push(e),
  });
  /** Sends `head` (and, once the proxy answers, `after`) and returns everything read until close. */
  const ask = async (head: string, after?: string) => {
    const conn = await Deno.connect({
      transport: "unix",
      path: proxy.socketPath,
    });
    await conn.write(new TextEncoder().encode(head));
    let text = "";
    const buf = new Uint8Array(65536);
    let sent = after === undefined;
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      if (!sent && text.includes("\r\n\r\n")) {
        sent = true;
        await conn.write(new TextEncoder().encode(after));
      }
    }
    conn.close();
    return text;
  };
  try {
    await fn(ask, events);
  } finally {
    await proxy.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("egress proxy forwards http and tunnels CONNECT to an allowed test target, logging NET_ALLOWED", async () => {
  const server = origin();
  try {
    await withProxy({
      hosts: ["origin.test"],
      testTargets: [
        { host: "origin.test", address: "127.0.0.1", port: server.port },
      ],
    }, async (ask, events) => {
      const plain = await ask(
        `GET http://origin.test/plain?q=1 HTTP/1.1\r\nHost: evil.example\r\nProxy-Authorization: Basic eA==\r\n\r\n`,
      );
      assert.match(plain, /^HTTP\/1\.1 200/);
      assert.match(plain, /hello from origin/);
      const tunnel = await ask(
        `CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n`,
        `GET /tunnel HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
      );
      assert.match(
        tunnel,
        /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200/,
      );
      // The forwarded request went out in origin form, Host set from the URL, proxy headers dropped.
      assert.deepEqual(server.hits, [
        "GET /plain origin.test",
        "GET /tunnel localhost",
      ]);
      assert.deepEqual(events, [
        { allowed: true, host: "origin.test", port: 80, address: "127.0.0.1" },
        { allowed: true, host: "origin.test", port: 443, address: "127.0.0.1" },
      ]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("egress proxy refuses hosts not allowed, loopback without the test override, other ports and port 22", async () => {
  const server = origin();
  try {
    await withProxy({
      hosts: ["localhost", "*.allowed.example", "127.0.0.1", "origin.test"],
      testTargets: [
        { host: "origin.test", address: "127.0.0.1", port: server.port },
      ],
      resolver: () => Promise.resolve(["93.184.216.34"]),
    }, async (ask, events) => {
      const cases: [string, RegExp][] = [
        [
          `CONNECT other.example:443 HTTP/1.1\r\n\r\n`,
          /host 'other\.example' is not in the work order's network_allow/,
        ],
        // Allowed by name, but loopback and not a test target.
        [
          `GET http://127.0.0.1:${server.port}/ HTTP/1.1\r\n\r\n`,
          /port \d+ refused: only 80 and 443/,
        ],
        [
          `CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n`,
          /private or loopback address 127\.0\.0\.1/,
        ],
        [
          `CONNECT localhost:443 HTTP/1.1\r\n\r\n`,
          /private or loopback address 127\.0\.0\.1/,
        ],
        [`CONNECT a.allowed.example:22 HTTP/1.1\r\n\r\n`, /port 22 refused/],
        [`CONNECT localhost:22 HTTP/1.1\r\n\r\n`, /port 22 refused/],
        // A test target is reached only as asked on 80/443.
        [`CONNECT origin.test:22 HTTP/1.1\r\n\r\n`, /port 22 refused/],
        // The suffix pattern does not allow the bare suffix.
        [
          `CONNECT allowed.example:443 HTTP/1.1\r\n\r\n`,
          /not in the work order's network_allow/,
        ],
        [
          `GET https://a.allowed.example/ HTTP/1.1\r\n\r\n`,
          /https goes through CONNECT/,
        ],
        [
          `GET /relative HTTP/1.1\r\nHost: localhost\r\n\r\n`,
          /not an absolute http:\/\/ URL/,
        ],
        [
          `GET http://u:p@a.allowed.example/ HTTP/1.1\r\n\r\n`,
          /credentials in a proxied URL/,
        ],
        [`\x16\x03\x01 not http\r\n\r\n`, /not an HTTP\/1\.x proxy request/],
      ];
      for (const [head, reason] of cases) {
        const answer = await ask(head);
        assert.match(answer, /^HTTP\/1\.1 4\d\d /, head);
        assert.match(answer, reason, head);
      }
      assert.deepEqual(server.hits, []);
      assert.equal(events.length, cases.length);
      assert.ok(events.every((e) => !e.allowed && e.reason));
      assert.deepEqual(events[4], {
        allowed: false,
        host: "a.allowed.example",
        port: 22,
        reason: "port 22 refused: only 80 and 443 are reachable",
      });
    });
  } finally {
    await server.close();
  }
});

Deno.test("egress proxy refuses a name whose DNS answer points at loopback or the LAN (rebinding)", async () => {
  const answers: Record<string, string[]> = {
    "rebind.example": ["127.0.0.1"],
    "mixed.example": ["93.184.216.34", "10.0.0.7"],
    "metadata.example": ["169.254.169.254"],
    "v6.example": ["::1"],
    "gone.example": [],
  };
  await withProxy({
    hosts: Object.keys(answers),
    resolver: (host) => Promise.resolve(answers[host] ?? []),
  }, async (ask, events) => {
    for (const host of Object.keys(answers)) {
      const answer = await ask(`CONNECT ${host}:443 HTTP/1.1\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 403 /, host);
    }
    assert.deepEqual(events.map((e) => [e.host, e.allowed, e.reason]), [
      [
        "rebind.example",
        false,
        "Refused: host 'rebind.example' resolves to the private or loopback address 127.0.0.1",
      ],
      [
        "mixed.example",
        false,
        "Refused: host 'mixed.example' resolves to the private or loopback address 10.0.0.7",
      ],
      [
        "metadata.example",
        false,
        "Refused: host 'metadata.example' resolves to the private or loopback address 169.254.169.254",
      ],
      [
        "v6.example",
        false,
        "Refused: host 'v6.example' resolves to the private or loopback address ::1",
      ],
      ["gone.example", false, "Could not resolve host 'gone.example'"],
    ]);
  });
});

Deno.test("egress proxy holds hosts within the operator's ceiling, and stops telling past maxEvents", async () => {
  await withProxy({
    hosts: ["pypi.org", "x.example"],
    ceiling: ["pypi.org"],
    maxEvents: 2,
    resolver: () => Promise.resolve(["10.1.1.1"]),
  }, async (ask, events) => {
    for (let i = 0; i < 4; i++) {
      assert.match(
        await ask(`CONNECT x.example:443 HTTP/1.1\r\n\r\n`),
        /not within AOS_NETWORK_ALLOW_MAX/,
      );
    }
    assert.equal(events.length, 2);
  });
});
