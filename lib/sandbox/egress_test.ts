/**
 * network_allow from inside the sandbox: a command reaches an allowed host
 * through the egress proxy (a loopback test rig, through the explicit test
 * override), is refused every other host, port 22 and a name whose DNS points
 * at loopback, and has no network at all when it goes around the proxy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { EgressEvent } from "../egress/mod.ts";
import { NOBODY, run, runAsUser } from "./testing.ts";

async function withWorkspace(fn: (dir: string) => Promise<void>) {
  const root = await Deno.makeTempDir({
    prefix: "aos-egress-",
    dir: "/var/tmp",
  });
  await Deno.chmod(root, 0o755);
  try {
    const dir = join(root, "run-1");
    await Deno.mkdir(dir);
    await Deno.chmod(dir, 0o777);
    await fn(dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A loopback HTTP server playing an allowed host; records the paths asked for. */
async function withOrigin(fn: (port: number, hits: string[]) => Promise<void>) {
  const hits: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      hits.push(new URL(req.url).pathname);
      return new Response("origin says hi\n");
    },
  );
  try {
    await fn(server.addr.port, hits);
  } finally {
    await server.shutdown();
  }
}

const COMMAND = [
  'curl -sS --max-time 10 http://origin.test/allowed; echo "allowed=$?"',
  // -p: through a CONNECT tunnel, as https goes.
  'curl -sS --max-time 10 -p http://origin.test/tunnel; echo "tunnel=$?"',
  "curl -sS --max-time 10 -o /dev/null -w 'other=%{http_code}\\n' http://other.test/x",
  "curl -sS --max-time 10 -p http://origin.test:22/ 2>&1 | head -1; echo",
  "curl -sS --max-time 10 -o /dev/null -w 'rebind=%{http_code}\\n' http://rebind.test/",
].join("\n");

Deno.test("network_allow: a command reaches the allowed host through the proxy, and no other; NET_ALLOWED/NET_REFUSED for each", async () => {
  await withOrigin(async (port, hits) => {
    await withWorkspace(async (dir) => {
      const events: EgressEvent[] = [];
      const result = await run({
        command: COMMAND,
        cwd: dir,
        mode: "bwrap",
        networkAllow: {
          hosts: ["origin.test", "rebind.test"],
          testTargets: [{ host: "origin.test", address: "127.0.0.1", port }],
          // A hostile DNS answer: the allowed name points at loopback.
          resolver: () => Promise.resolve(["127.0.0.1"]),
          onEvent: (e) => events.push(e),
        },
      });
      assert.equal(result.exit_code, 0, result.output);
      assert.match(result.output, /origin says hi\nallowed=0\n/);
      assert.match(result.output, /origin says hi\ntunnel=0\n/);
      assert.match(result.output, /other=403\n/);
      assert.match(result.output, /CONNECT tunnel failed, response 403/);
      assert.match(result.output, /rebind=403\n/);
      assert.deepEqual(hits, ["/allowed", "/tunnel"]);
      assert.deepEqual(
        events.map((e) =>
          `${e.allowed ? "NET_ALLOWED" : "NET_REFUSED"} ${e.host}:${e.port}`
        ),
        [
          "NET_ALLOWED origin.test:80",
          "NET_ALLOWED origin.test:80",
          "NET_REFUSED other.test:80",
          "NET_REFUSED origin.test:22",
          "NET_REFUSED rebind.test:80",
        ],
      );
      assert.match(
        events[4]!.reason!,
        /private or loopback address 127\.0\.0\.1/,
      );
    });
  });
});

Deno.test("network_allow: a command going around the proxy has no network", async () => {
  await withOrigin(async (port, hits) => {
    await withWorkspace(async (dir) => {
      const result = await run({
        command: [
          `curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:${port}/direct; echo "direct=$?"`,
          `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}' 2>/dev/null; echo "tcp=$?"`,
          "bash -c 'exec 3<>/dev/tcp/1.1.1.1/443' 2>/dev/null; echo \"outside=$?\"",
          // Devices of the command's own network namespace (/sys shows the host's).
          "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
        ].join("\n"),
        cwd: dir,
        mode: "bwrap",
        networkAllow: {
          hosts: ["origin.test"],
          testTargets: [{ host: "origin.test", address: "127.0.0.1", port }],
        },
      });
      assert.match(result.output, /direct=7\n/);
      assert.match(result.output, /tcp=1\n/);
      assert.match(result.output, /outside=1\n/);
      assert.match(result.output, /^lo$/m);
      assert.doesNotMatch(result.output, /^(?!lo$)\w+$/m);
      assert.deepEqual(hits, []);
    });
  });
});

Deno.test("network_allow: without hosts there is no proxy, no bridge and no proxy variable", async () => {
  await withWorkspace(async (dir) => {
    for (const networkAllow of [undefined, { hosts: [] }]) {
      const result = await run({
        command: "env | grep -ci proxy; ls /run/aos 2>&1 | head -1",
        cwd: dir,
        mode: "bwrap",
        ...(networkAllow ? { networkAllow } : {}),
      });
      assert.match(result.output, /^0\n.*No such file or directory/);
    }
  });
});

Deno.test("network_allow holds for a service running as a normal user", async () => {
  await withOrigin(async (port, hits) => {
    await withWorkspace(async (dir) => {
      const result = await runAsUser(NOBODY, {
        command:
          "curl -sS --max-time 10 http://origin.test/as-user; curl -sS --max-time 10 -o /dev/null -w 'other=%{http_code}\\n' http://other.test/",
        cwd: dir,
        mode: "bwrap",
        networkAllow: {
          hosts: ["origin.test"],
          testTargets: [{ host: "origin.test", address: "127.0.0.1", port }],
        },
      });
      assert.match(result.output, /origin says hi\nother=403\n/);
      assert.deepEqual(hits, ["/as-user"]);
    });
  });
});
