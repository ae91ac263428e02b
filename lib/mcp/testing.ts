/**
 * Test support (imported by tests only): a real stdio MCP server, plain
 * JavaScript run by this Deno inside the sandbox, that speaks newline-delimited
 * JSON-RPC and plays an honest server or a hostile one, by its first argument.
 */
import { join } from "node:path";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

/** How the fake server behaves. */
export type FakeServerMode =
  | "normal"
  | "hostile_list"
  | "never_initializes"
  | "endless_line"
  | "stubborn";

/** The server's source: put it in a working copy as FAKE_SERVER_FILE. */
export const FAKE_SERVER_SCRIPT = String.raw`
const mode = Deno.args[0] ?? "normal";
const marker = Deno.args[1] ?? "";
const out = (msg) => Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(msg) + "\n"));
const obj = { type: "object", properties: { text: { type: "string" } } };
const TOOLS = {
  normal: [
    { name: "echo", description: "Echoes text back", inputSchema: obj },
    { name: "whereami", description: "Where the server runs, and whether it sees secrets", inputSchema: { type: "object" } },
    { name: "write_note", description: "Writes note.txt in the working directory", inputSchema: obj },
    { name: "huge", description: "Returns a very large result", inputSchema: { type: "object" } },
    { name: "hang", description: "Never answers", inputSchema: { type: "object" } },
    { name: "fail", description: "Answers with isError", inputSchema: { type: "object" } },
    { name: "crash", description: "Exits the process", inputSchema: { type: "object" } },
  ],
  hostile_list: [
    { name: "ok_tool", description: "fine\u0007\u202e" + "d".repeat(5000), inputSchema: obj },
    { name: "../evil", inputSchema: obj },
    { name: "has space", inputSchema: obj },
    { name: "x".repeat(80), inputSchema: obj },
    { name: "ok_tool", description: "duplicate", inputSchema: obj },
    { name: "big_schema", inputSchema: { type: "object", properties: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => ["p" + i, { type: "string" }])) } },
    { name: "not_object", inputSchema: { type: "string" } },
  ],
};
if (mode === "stubborn") {
  Deno.addSignalListener("SIGTERM", () => {});
  new Deno.Command("sleep", { args: ["1000", marker] }).spawn();
}
async function handle(msg) {
  if (msg.id === undefined) return;
  if (msg.method === "initialize") {
    if (mode === "never_initializes") return;
    if (mode === "endless_line") {
      const chunk = new TextEncoder().encode("x".repeat(65536));
      for (;;) Deno.stdout.writeSync(chunk);
    }
    return out({ jsonrpc: "2.0", id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "fake", version: "1" } } });
  }
  if (msg.method === "tools/list") {
    return out({ jsonrpc: "2.0", id: msg.id, result: { tools: TOOLS[mode] ?? TOOLS.normal } });
  }
  if (msg.method === "tools/call") {
    const { name, arguments: args } = msg.params;
    const text = (t) => out({ jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: t }] } });
    switch (name) {
      case "echo": return text("echo: " + (args?.text ?? ""));
      case "whereami": return text("cwd=" + Deno.cwd() + " uid=" + Deno.uid() + " secret=" + (Deno.env.get("OPENAI_API_KEY") ?? "none") + " greeting=" + (Deno.env.get("GREETING") ?? "none"));
      case "write_note": Deno.writeTextFileSync("note.txt", args?.text ?? ""); return text("wrote note.txt");
      case "huge": return text("H".repeat(3_000_000));
      case "hang": return;
      case "fail": return out({ jsonrpc: "2.0", id: msg.id, result: { isError: true, content: [{ type: "text", text: "it failed on purpose" }] } });
      case "crash": console.error("crashing on purpose"); Deno.exit(3);
    }
    return out({ jsonrpc: "2.0", id: msg.id, error: { code: -32602, message: "Unknown tool " + name } });
  }
  out({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } });
}
let buffer = "";
const decoder = new TextDecoder();
for await (const chunk of Deno.stdin.readable) {
  buffer += decoder.decode(chunk, { stream: true });
  let i;
  while ((i = buffer.indexOf("\n")) !== -1) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    if (line.trim()) await handle(JSON.parse(line));
  }
}
if (mode === "stubborn") await new Promise(() => {});
`;

/** Where the server's source goes in the working copy. */
export const FAKE_SERVER_FILE = "fake_mcp_server.js";

/** The `command` a work order gives to start the server in `mode` (the file in its working copy). */
export function fakeServerArgv(mode: FakeServerMode, marker = ""): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    FAKE_SERVER_FILE,
    mode,
    ...(marker ? [marker] : []),
  ];
}

/** Writes the server into `dir` and returns the `command` that starts it there. */
export async function fakeServerCommand(
  dir: string,
  mode: FakeServerMode,
  marker = "",
): Promise<string[]> {
  await Deno.writeTextFile(join(dir, FAKE_SERVER_FILE), FAKE_SERVER_SCRIPT);
  return fakeServerArgv(mode, marker);
}

/** Environment the fake server needs inside the sandbox (Deno's own settings only). */
export const FAKE_SERVER_ENV = {
  DENO_NO_UPDATE_CHECK: "1",
  DENO_DIR: "/tmp/deno-dir",
};

/** Host processes whose command line contains `marker` (to prove none is left). */
export async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`)
      .catch(() => "");
    if (cmdline.includes(marker)) pids.push(Number(entry.name));
  }
  return pids;
}

/** A streamable HTTP MCP server on the host's loopback, built with the SDK's server. */
export interface HttpMcpServer {
  url: string;
  /** Requests it received. */
  requests: number;
  close(): Promise<void>;
}

/**
 * Starts an SDK streamable HTTP MCP server (stateless, JSON responses) on
 * 127.0.0.1 with one tool, `lookup`, that answers `found: <q>`. With
 * `redirectTo`, every request is answered with a redirect there instead.
 */
export function startHttpMcpServer(
  opts: { redirectTo?: string } = {},
): HttpMcpServer {
  const state = { requests: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      state.requests++;
      if (opts.redirectTo) {
        return new Response(null, {
          status: 307,
          headers: { location: opts.redirectTo },
        });
      }
      const mcp = new Server(
        { name: "lookup-server", version: "1" },
        { capabilities: { tools: {} } },
      );
      mcp.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: [{
          name: "lookup",
          description: "Looks a word up",
          inputSchema: {
            type: "object",
            properties: { q: { type: "string" } },
            required: ["q"],
          },
        }],
      }));
      mcp.setRequestHandler(
        CallToolRequestSchema,
        (call: { params: { arguments?: Record<string, unknown> } }) => ({
          content: [{
            type: "text",
            text: `found: ${String(call.params.arguments?.q)}`,
          }],
        }),
      );
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await mcp.connect(transport);
      return await transport.handleRequest(request);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/mcp`,
    get requests() {
      return state.requests;
    },
    close: () => server.shutdown(),
  };
}
