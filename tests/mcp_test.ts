/**
 * End to end: a work order's MCP servers through the real service — real
 * git, real bwrap, the scripted model over HTTP. A stdio server from the
 * repository runs in the SE's sandbox and its tools are called by the SE;
 * what it writes joins the packet; an HTTP server is reached only when the
 * operator allows its host; a server that cannot start, or that hangs, is an
 * error the model reads, never a failed run; no server outlives the turn.
 */
import assert from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";
import { until } from "./support/poll.ts";
import {
  FAKE_SERVER_FILE,
  FAKE_SERVER_SCRIPT,
  fakeServerArgv,
  processesWith,
} from "../lib/mcp/testing.ts";

interface Body {
  messages: { role: string; content?: unknown }[];
  tools: { function: { name: string } }[];
}

const FILES = {
  "README.md": "# Demo\n",
  [FAKE_SERVER_FILE]: FAKE_SERVER_SCRIPT,
};
const SERVER_ENV = { DENO_NO_UPDATE_CHECK: "1", DENO_DIR: "/tmp/deno-dir" };

function toolResults(body: unknown): string[] {
  return (body as Body).messages.filter((m) => m.role === "tool").map((m) =>
    String(m.content)
  );
}

Deno.test("the SE calls a stdio MCP server's tools in its sandbox; the result is in its transcript and no server process is left", async () => {
  const marker = `aos-mcp-e2e-${crypto.randomUUID()}`;
  const script = {
    se: [
      reply(
        toolCall("mcp__docs__echo", { text: "hello from the SE" }),
        toolCall("mcp__docs__write_note", { text: "written by mcp\n" }),
        toolCall("mcp__docs__hang", {}),
      ),
      reply(toolCall("mcp__docs__echo", { text: "again" })),
      reply(toolCall("finish", { summary: "used the MCP server" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script, files: FILES }, async (h) => {
    const run = await h.submit(h.workOrder({
      push_branch: "aos/mcp",
      env: SERVER_ENV,
      command_timeout_s: 3,
      mcp_servers: {
        docs: { command: fakeServerArgv("stubborn", marker) },
        broken: { command: ["/nonexistent/mcp-server"] },
      },
    }));
    const done = await h.waitForEnd(run.id);
    assert.equal(done.status, "SUCCEEDED", done.error ?? "");
    const se = h.model.requests.filter((r) => r.agent === "se");
    const first = se[0]!.body as Body;
    const tools = first.tools.map((t) => t.function.name);
    assert.ok(tools.includes("mcp__docs__echo"), tools.join(","));
    assert.ok(tools.includes("read_file"), tools.join(","));
    const system = String(first.messages[0]!.content);
    assert.match(system, /'docs': 7 tools/);
    assert.match(system, /'broken': unavailable, it did not start/);
    const results = toolResults(se[1]!.body);
    assert.equal(results[0], "echo: hello from the SE");
    assert.match(
      results[1]!,
      /wrote note\.txt\nFiles this tool call changed .*note\.txt/,
    );
    // A call is bounded by command_timeout_s; the server is then stopped.
    assert.match(
      results[2]!,
      /^Error: MCP server 'docs' was stopped after a call took longer than 3 s/,
    );
    assert.match(toolResults(se[2]!.body)[3]!, /is not available/);
    const events = await h.svc.store.listEvents(run.id);
    const servers = events.find((e) => e.kind === "MCP_SERVERS");
    assert.deepEqual(
      (servers?.payload.servers as { server: string; ok: boolean }[]).map(
        (s) => [s.server, s.ok],
      ),
      [["docs", true], ["broken", false]],
    );
    assert.equal(await h.remoteFile("aos/mcp", "note.txt"), "written by mcp\n");
    await until(
      "no MCP server process left",
      async () => (await processesWith(marker)).length === 0,
    );
  });
});
