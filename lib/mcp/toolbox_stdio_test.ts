/**
 * McpToolbox with real stdio MCP servers in the real bwrap sandbox: an honest
 * one, and hostile ones (bad names, huge results, hangs, crashes, an endless
 * line, a process that ignores SIGTERM and leaves a child behind).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { McpToolbox } from "./toolbox.ts";
import { NO_MCP_URLS } from "./allow.ts";
import { MAX_RESULT_BYTES } from "./result_text.ts";
import {
  FAKE_SERVER_ENV,
  fakeServerCommand,
  type FakeServerMode,
  processesWith,
} from "./testing.ts";
import { until } from "../../tests/support/poll.ts";

async function withToolbox(
  servers: Record<
    string,
    { mode: FakeServerMode; marker?: string; env?: Record<string, string> }
  >,
  fn: (toolbox: McpToolbox, dir: string) => Promise<void> | void,
  timeouts = { startMs: 20_000, callMs: 20_000 },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aos-mcp-test-" });
  try {
    const specs: Record<
      string,
      { command: string[]; env?: Record<string, string> }
    > = {};
    for (const [name, s] of Object.entries(servers)) {
      specs[name] = {
        command: await fakeServerCommand(dir, s.mode, s.marker),
        ...(s.env ? { env: s.env } : {}),
      };
    }
    const toolbox = await McpToolbox.open({
      servers: specs,
      sandbox: {
        cwd: dir,
        env: { ...FAKE_SERVER_ENV, OPENAI_API_KEY: "sk-must-not-leak" },
        mode: "bwrap",
        hideDirs: [],
      },
      urlPolicy: NO_MCP_URLS,
      timeouts,
    });
    try {
      await fn(toolbox, dir);
    } finally {
      await toolbox.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function includes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected '${part}' in: ${text}`);
}

const names = (toolbox: McpToolbox) =>
  toolbox.tools.map((t) => t.function.name);

Deno.test("McpToolbox offers a sandboxed stdio server's tools as mcp__<server>__<tool> and calls them", async () => {
  await withToolbox(
    { docs: { mode: "normal", env: { GREETING: "hi" } } },
    async (toolbox, dir) => {
      assert.deepEqual(names(toolbox).slice(0, 3), [
        "mcp__docs__echo",
        "mcp__docs__whereami",
        "mcp__docs__write_note",
      ]);
      assert.deepEqual(toolbox.tools[0]!.function.parameters, {
        type: "object",
        properties: { text: { type: "string" } },
      });
      includes(toolbox.notes, "'docs': 7 tools");
      assert.deepEqual(
        await toolbox.run("mcp__docs__echo", '{"text":"hello"}'),
        { kind: "result", text: "echo: hello" },
      );
      // In the sandbox: the working copy as cwd, uid 1000, no secret, its own env.
      const where = await toolbox.run("mcp__docs__whereami", "{}");
      assert.deepEqual(
        where.text,
        `cwd=${dir} uid=1000 secret=none greeting=hi`,
      );
      await toolbox.run("mcp__docs__write_note", '{"text":"from mcp"}');
      assert.deepEqual(
        await Deno.readTextFile(join(dir, "note.txt")),
        "from mcp",
      );
    },
  );
});

Deno.test("McpToolbox turns tool errors, unknown tools and bad arguments into errors for the model", async () => {
  await withToolbox({ docs: { mode: "normal" } }, async (toolbox) => {
    assert.deepEqual(await toolbox.run("mcp__docs__fail", "{}"), {
      kind: "error",
      reason: "tool_error",
      text: "Error: it failed on purpose",
    });
    const unknown = await toolbox.run("mcp__docs__nope", "{}");
    assert.deepEqual(
      unknown.kind === "error" && unknown.reason,
      "unknown_tool",
    );
    const bad = await toolbox.run("mcp__docs__echo", "[1]");
    assert.deepEqual(bad.kind === "error" && bad.reason, "invalid_arguments");
    const notJson = await toolbox.run("mcp__docs__echo", "{oops");
    assert.deepEqual(
      notJson.kind === "error" && notJson.reason,
      "invalid_arguments",
    );
    // None of that stopped the server.
    assert.deepEqual(
      (await toolbox.run("mcp__docs__echo", "{}")).kind,
      "result",
    );
  });
});

Deno.test("McpToolbox caps a huge result with head and tail kept", async () => {
  await withToolbox({ docs: { mode: "normal" } }, async (toolbox) => {
    const huge = await toolbox.run("mcp__docs__huge", "{}");
    assert.deepEqual(huge.kind, "result");
    assert.ok(huge.text.length < MAX_RESULT_BYTES + 200, `${huge.text.length}`);
    includes(huge.text, "bytes omitted");
    includes(huge.text, "[result cut to 20000 bytes");
  });
});

Deno.test("McpToolbox stops a server whose call hangs: a timeout error, then 'not available'", async () => {
  await withToolbox(
    { slow: { mode: "normal" } },
    async (toolbox) => {
      const hung = await toolbox.run("mcp__slow__hang", "{}");
      assert.deepEqual(hung.kind === "error" && hung.reason, "timeout");
      includes(hung.text, "took longer than 1.5 s");
      const after = await toolbox.run("mcp__slow__echo", "{}");
      assert.deepEqual(after.kind, "error");
      includes(after.text, "is not available");
    },
    { startMs: 20_000, callMs: 1500 },
  );
});

Deno.test("McpToolbox reports a server that crashes mid-call with its stderr", async () => {
  await withToolbox({ docs: { mode: "normal" } }, async (toolbox) => {
    const crashed = await toolbox.run("mcp__docs__crash", "{}");
    assert.deepEqual(crashed.kind === "error" && crashed.reason, "tool_error");
    includes(crashed.text, "crashing on purpose");
    includes(
      (await toolbox.run("mcp__docs__echo", "{}")).text,
      "is not available",
    );
  });
});

Deno.test("McpToolbox drops hostile tool names and caps descriptions and schemas", async () => {
  await withToolbox({ evil: { mode: "hostile_list" } }, (toolbox) => {
    assert.deepEqual(names(toolbox), [
      "mcp__evil__ok_tool",
      "mcp__evil__big_schema",
      "mcp__evil__not_object",
    ]);
    assert.deepEqual(toolbox.statuses[0]!.dropped, 4);
    const [ok, big, notObject] = toolbox.tools;
    assert.ok(ok!.function.description.length < 1100);
    assert.ok(!ok!.function.description.includes("\u0007"));
    assert.ok(!ok!.function.description.includes("\u202e"));
    assert.deepEqual(big!.function.parameters, {
      type: "object",
      properties: {},
    });
    assert.deepEqual(notObject!.function.parameters, {
      type: "object",
      properties: {},
    });
  });
});

Deno.test("McpToolbox: a server that never initializes, a missing program and an endless line are unavailable, not fatal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos-mcp-test-" });
  try {
    const toolbox = await McpToolbox.open({
      servers: {
        mute: { command: await fakeServerCommand(dir, "never_initializes") },
        gone: { command: ["/nonexistent/mcp-server"] },
        flood: { command: await fakeServerCommand(dir, "endless_line") },
        ok: { command: await fakeServerCommand(dir, "normal") },
      },
      sandbox: { cwd: dir, env: FAKE_SERVER_ENV, mode: "bwrap", hideDirs: [] },
      urlPolicy: NO_MCP_URLS,
      timeouts: { startMs: 8000, callMs: 8000 },
    });
    try {
      const byName = Object.fromEntries(
        toolbox.statuses.map((s) => [s.server, s]),
      );
      assert.deepEqual(byName.ok!.ok, true);
      includes(byName.mute!.error!, "no answer within 8 s");
      includes(byName.gone!.error!, "nonexistent");
      assert.match(byName.flood!.error!, /longer than \d+ bytes|closed/i);
      includes(toolbox.notes, "'mute': unavailable, it did not start");
      assert.ok(names(toolbox).every((n) => n.startsWith("mcp__ok__")));
    } finally {
      await toolbox.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("McpToolbox.close() leaves no process behind, even one that ignores SIGTERM and forks", async () => {
  const marker = `aos-mcp-marker-${crypto.randomUUID()}`;
  await withToolbox(
    { stubborn: { mode: "stubborn", marker } },
    async (toolbox) => {
      assert.deepEqual(
        (await toolbox.run("mcp__stubborn__echo", "{}")).kind,
        "result",
      );
      // The server and its forked `sleep 1000 <marker>` are running.
      await until(
        "the server and its child",
        async () => (await processesWith(marker)).length >= 2,
      );
    },
  );
  await until(
    "no process left",
    async () => (await processesWith(marker)).length === 0,
  );
});
