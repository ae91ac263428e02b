/**
 * SSRF through a work order's repository: a hostile API client names
 * loopback, the LAN or a metadata address as `repo`, and the service must not
 * fetch it — 422 at submit naming `repo`, no connection made — unless the
 * operator opted in (AOS_REPO_ALLOW_PRIVATE, or the host in AOS_REPO_ALLOWLIST).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { type Harness, withHarness } from "./support/harness.ts";

/** A loopback TCP listener that counts connections. */
function listener() {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  (async () => {
    for await (const conn of server) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  return {
    port: (server.addr as Deno.NetAddr).port,
    connections: () => connections,
    close: () => server.close(),
  };
}

async function submit(h: Harness, repo: string) {
  const res = await fetch(`${h.svc.url}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ work_order_md: h.workOrder({ repo }) }),
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("a work order naming a loopback, private or link-local repository is refused with 422 and nothing is fetched", async () => {
  const target = listener();
  try {
    await withHarness({}, async (h) => {
      const port = target.port;
      for (
        const repo of [
          `http://127.0.0.1:${port}/r.git`,
          `https://localhost:${port}/r.git`,
          `http://git.localhost:${port}/r.git`,
          `http://0x7f.1:${port}/r.git`,
          `http://2130706433:${port}/r.git`,
          `http://[::1]:${port}/r.git`,
          `http://[::ffff:127.0.0.1]:${port}/r.git`,
          "http://169.254.169.254/latest/meta-data/",
          "https://10.0.0.1/r.git",
          `ssh://git@127.0.0.1:${port}/r.git`,
          "git@192.168.1.1:o/r.git",
        ]
      ) {
        const { status, body } = await submit(h, repo);
        assertEquals(status, 422, `${repo}: ${JSON.stringify(body)}`);
        const details = body.error.details as { field: string }[];
        assertEquals(details.map((d) => d.field), ["repo"], repo);
        assert(
          /private or loopback address/.test(JSON.stringify(details)),
          JSON.stringify(details),
        );
      }
      assertEquals(
        (await h.svc.store.listRuns({ limit: 5, offset: 0 })).runs.length,
        0,
      );
    });
    assertEquals(target.connections(), 0);
  } finally {
    target.close();
  }
});

Deno.test("AOS_REPO_ALLOW_PRIVATE=true or the host named in AOS_REPO_ALLOWLIST lets a private repository through", async () => {
  for (
    const env of [
      { AOS_REPO_ALLOW_PRIVATE: "true" },
      { AOS_REPO_ALLOWLIST: "http://git.localhost:9/" },
    ]
  ) {
    await withHarness({ env }, async (h) => {
      const { status, body } = await submit(h, "http://git.localhost:9/r.git");
      assertEquals(status, 201, JSON.stringify(body));
      // Nothing listens on port 9: the fetch fails, after the guard let it go.
      const done = await h.waitForEnd(body.id);
      assertEquals(done.status, "FAILED");
      assert(
        !/AOS_REPO_ALLOW_PRIVATE/.test(done.error ?? ""),
        done.error ?? "",
      );
    });
  }
});
