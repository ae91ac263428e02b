/**
 * Attacks from a setup script (it has network): it tries the host's loopback,
 * where the AOS API and other local services listen. It gets the outside
 * world through pasta, and of the host's loopback only the ports the operator
 * forwards (AOS_SETUP_HOST_PORTS, for a test rig's package index).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { setupNetworkProblem } from "./sandbox.ts";
import { NOBODY, run, runAsUser, withLoopbackProbe } from "./testing.ts";

async function withWorkspace(fn: (dir: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "aos-net-", dir: "/var/tmp" });
  await Deno.chmod(root, 0o755);
  try {
    const dir = join(root, "run-1");
    await Deno.mkdir(dir);
    await fn(dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** An HTTP server on the host's loopback standing in for the AOS API; counts requests. */
async function withApi(
  fn: (port: number, hits: () => number) => Promise<void>,
) {
  let hits = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      hits++;
      return Response.json([{ id: "run-of-someone-else" }]);
    },
  );
  try {
    await fn(server.addr.port, () => hits);
  } finally {
    await server.shutdown();
  }
}

const fetchApi = (port: number) =>
  `curl -sS -m 5 http://127.0.0.1:${port}/runs; curl -sS -m 5 http://localhost:${port}/runs; ` +
  `python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:${port}/runs', timeout=5).read())"; echo end`;

Deno.test("setupNetworkProblem() finds pasta usable on this machine", async () => {
  assert.equal(await setupNetworkProblem(), null);
});

Deno.test("runCommand() [bwrap] network: a setup script cannot reach the API on the host's loopback", async () => {
  await withWorkspace(async (dir) => {
    await withApi(async (port, hits) => {
      const result = await run({
        command: fetchApi(port),
        cwd: dir,
        mode: "bwrap",
        network: true,
      });
      assert.doesNotMatch(result.output, /run-of-someone-else/, result.output);
      assert.match(result.output, /^end$/m);
      assert.equal(hits(), 0);
      // It is online all the same: an interface beside lo, with a default route.
      const net = await run({
        command:
          'tail -n +2 /proc/net/route | awk \'$2 == "00000000" {print "default via " $1}\'',
        cwd: dir,
        mode: "bwrap",
        network: true,
      });
      assert.match(net.output, /^default via \w+$/m, net.output);
    });
  });
});

Deno.test("runCommand() [bwrap] network: hostPorts forwards the named loopback ports, no other", async () => {
  await withWorkspace(async (dir) => {
    await withApi(async (api, apiHits) => {
      await withLoopbackProbe(async (probe) => {
        const index = Number(probe.match(/127\.0\.0\.1\/(\d+)/)![1]);
        const result = await run({
          command: `${probe}; ${fetchApi(api)}`,
          cwd: dir,
          mode: "bwrap",
          network: true,
          hostPorts: [index],
        });
        assert.match(result.output, /^connected$/m, result.output);
        assert.doesNotMatch(result.output, /run-of-someone-else/);
        assert.equal(apiHits(), 0);
      });
    });
  });
});

Deno.test({
  name:
    "runCommand() [bwrap] network, service as a normal user: the API on loopback is out of reach",
  fn: async () => {
    await withWorkspace(async (dir) => {
      if (Deno.uid() === 0) await Deno.chown(dir, NOBODY, NOBODY);
      await withApi(async (port, hits) => {
        const result = await runAsUser(NOBODY, {
          command: fetchApi(port),
          cwd: dir,
          mode: "bwrap",
          network: true,
        });
        assert.doesNotMatch(
          result.output,
          /run-of-someone-else/,
          result.output,
        );
        assert.equal(hits(), 0);
      });
    });
  },
});
