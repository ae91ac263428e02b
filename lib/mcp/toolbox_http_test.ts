/**
 * McpToolbox with a real streamable HTTP MCP server (the SDK's own server on
 * loopback): allowed only when its host is in AOS_MCP_ALLOW and, being
 * loopback, only with AOS_MCP_ALLOW_PRIVATE; refused otherwise, with the
 * reason told to the model and no request sent. Redirects are not followed.
 */
import assert from "node:assert/strict";
import { McpToolbox } from "./toolbox.ts";
import type { McpUrlPolicy } from "./allow.ts";
import { startHttpMcpServer } from "./testing.ts";

async function open(url: string, urlPolicy: McpUrlPolicy) {
  const dir = await Deno.makeTempDir({ prefix: "aos-mcp-http-" });
  const toolbox = await McpToolbox.open({
    servers: { web: { url } },
    sandbox: { cwd: dir, env: {}, mode: "bwrap", hideDirs: [] },
    urlPolicy,
    timeouts: { startMs: 10_000, callMs: 10_000 },
  });
  return {
    toolbox,
    [Symbol.asyncDispose]: async () => {
      await toolbox.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("McpToolbox calls an HTTP MCP server whose host the operator allows (loopback with the private override)", async () => {
  const server = startHttpMcpServer();
  try {
    await using opened = await open(server.url, {
      allow: ["127.0.0.1"],
      allowPrivate: true,
    });
    const { toolbox } = opened;
    assert.deepEqual(toolbox.tools.map((t) => t.function.name), [
      "mcp__web__lookup",
    ]);
    assert.deepEqual(await toolbox.run("mcp__web__lookup", '{"q":"zebra"}'), {
      kind: "result",
      text: "found: zebra",
    });
  } finally {
    await server.close();
  }
});

Deno.test("McpToolbox refuses an HTTP MCP server not in AOS_MCP_ALLOW, and a loopback one without the override, before any request", async () => {
  const server = startHttpMcpServer();
  try {
    for (
      const [policy, why] of [
        [
          { allow: [], allowPrivate: true },
          "not in the operator's AOS_MCP_ALLOW",
        ],
        [
          { allow: ["*.example.com"], allowPrivate: true },
          "not in the operator's AOS_MCP_ALLOW",
        ],
        [
          { allow: ["127.0.0.1"], allowPrivate: false },
          "private or loopback address 127.0.0.1",
        ],
      ] as const
    ) {
      await using opened = await open(server.url, {
        allow: [...policy.allow],
        allowPrivate: policy.allowPrivate,
      });
      const { toolbox } = opened;
      assert.deepEqual(toolbox.tools, []);
      assert.equal(toolbox.statuses[0]!.ok, false);
      assert.ok(
        toolbox.statuses[0]!.error!.includes(why),
        toolbox.statuses[0]!.error,
      );
      assert.ok(toolbox.notes.includes("'web': unavailable"), toolbox.notes);
      const call = await toolbox.run("mcp__web__lookup", "{}");
      assert.equal(call.kind, "error");
    }
    // `localhost` spelled as a name is loopback all the same.
    const local = server.url.replace("127.0.0.1", "localhost");
    await using opened = await open(local, {
      allow: ["localhost"],
      allowPrivate: false,
    });
    assert.ok(opened.toolbox.statuses[0]!.error!.includes("loopback"));
    assert.equal(server.requests, 0);
  } finally {
    await server.close();
  }
});

Deno.test("McpToolbox does not follow an HTTP MCP server's redirect", async () => {
  const target = startHttpMcpServer();
  const server = startHttpMcpServer({ redirectTo: target.url });
  try {
    await using opened = await open(server.url, {
      allow: ["127.0.0.1"],
      allowPrivate: true,
    });
    assert.ok(
      opened.toolbox.statuses[0]!.error!.includes("redirect"),
      opened.toolbox.statuses[0]!.error,
    );
    assert.equal(target.requests, 0);
  } finally {
    await server.close();
    await target.close();
  }
});
