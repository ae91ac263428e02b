/**
 * A turn's MCP servers as SE tools: every server started in parallel, its
 * tools offered as `mcp__<server>__<tool>`, calls routed to it, and every
 * server stopped by close() at the end of the turn. A server that fails to
 * start is named in `notes` for the model; the turn goes on without it.
 */
import type { McpServerSpec } from "../work_order/mod.ts";
import type { McpUrlPolicy } from "./allow.ts";
import {
  MCP_TOOL_PREFIX,
  type OfferedTool,
  offeredTools,
} from "./offered_tools.ts";
import {
  type McpCallOutcome,
  type McpSandbox,
  type McpTimeouts,
  ServerConnection,
} from "./server_connection.ts";

/** How long a server may take to start and list its tools. */
export const MCP_START_TIMEOUT_MS = 30_000;
/** How long one MCP tool call may take. */
export const MCP_CALL_TIMEOUT_MS = 120_000;

/** Options of McpToolbox.open(). */
export interface McpToolboxOptions {
  servers: Record<string, McpServerSpec>;
  sandbox: McpSandbox;
  urlPolicy: McpUrlPolicy;
  timeouts?: Partial<McpTimeouts>;
}

/** One server's state after the start, for events. */
export interface McpServerStatus {
  server: string;
  kind: "stdio" | "http";
  ok: boolean;
  tools: number;
  /** Tools left out (unsafe or duplicate names, past the per-server cap). */
  dropped: number;
  error?: string;
}

/** A function tool as the chat API takes it. */
export interface McpChatTool {
  type: "function";
  function: {
    name: string;
    description: string;
    parameters: Record<string, unknown>;
  };
}

/** The MCP tools of one turn. */
export class McpToolbox {
  /** The tools offered to the model. */
  readonly tools: McpChatTool[];
  /** What the model is told about the servers (failed ones and why); "" when none. */
  readonly notes: string;
  readonly statuses: McpServerStatus[];
  readonly #byName: Map<string, OfferedTool>;
  readonly #servers: Map<string, ServerConnection>;

  private constructor(
    servers: Map<string, ServerConnection>,
    statuses: McpServerStatus[],
    offered: OfferedTool[],
  ) {
    this.#servers = servers;
    this.statuses = statuses;
    this.#byName = new Map(offered.map((t) => [t.name, t]));
    this.tools = offered.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        description: t.description,
        parameters: t.parameters,
      },
    }));
    this.notes = notesFor(statuses);
  }

  /** Starts every server of `opts.servers` (in parallel); never throws for a server's failure. */
  static async open(opts: McpToolboxOptions): Promise<McpToolbox> {
    const timeouts: McpTimeouts = {
      startMs: opts.timeouts?.startMs ?? MCP_START_TIMEOUT_MS,
      callMs: opts.timeouts?.callMs ?? MCP_CALL_TIMEOUT_MS,
    };
    const entries = Object.entries(opts.servers);
    const started = await Promise.all(
      entries.map(([name, spec]) =>
        ServerConnection.start({
          name,
          spec,
          sandbox: opts.sandbox,
          urlPolicy: opts.urlPolicy,
          timeouts,
        })
      ),
    );
    const servers = new Map<string, ServerConnection>();
    const statuses: McpServerStatus[] = [];
    const offered: OfferedTool[] = [];
    entries.forEach(([name, spec], i) => {
      const server = started[i]!;
      servers.set(name, server);
      const tools = server.failure === null
        ? offeredTools(name, server.tools)
        : { offered: [], dropped: 0 };
      offered.push(...tools.offered);
      statuses.push({
        server: name,
        kind: "url" in spec ? "http" : "stdio",
        ok: server.failure === null,
        tools: tools.offered.length,
        dropped: tools.dropped,
        ...(server.failure === null ? {} : { error: server.failure }),
      });
    });
    return new McpToolbox(servers, statuses, offered);
  }

  /** Whether `name` is one of this toolbox's tools (or claims the MCP prefix). */
  handles(name: string): boolean {
    return name.startsWith(MCP_TOOL_PREFIX);
  }

  /** Runs one call; unknown tools, bad arguments and server failures are error outcomes. */
  async run(
    name: string,
    rawArguments: string,
    signal?: AbortSignal,
  ): Promise<
    McpCallOutcome | {
      kind: "error";
      text: string;
      reason: "unknown_tool" | "invalid_arguments";
    }
  > {
    const tool = this.#byName.get(name);
    if (!tool) {
      return {
        kind: "error",
        reason: "unknown_tool",
        text: `Error: unknown MCP tool '${name}'; MCP tools offered: ${
          [...this.#byName.keys()].join(", ") || "none"
        }`,
      };
    }
    let args: unknown;
    try {
      args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
    } catch {
      return {
        kind: "error",
        reason: "invalid_arguments",
        text: `Error: the arguments of ${name} are not valid JSON`,
      };
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      return {
        kind: "error",
        reason: "invalid_arguments",
        text: `Error: the arguments of ${name} must be a JSON object`,
      };
    }
    return await this.#servers.get(tool.server)!.call(
      tool.tool,
      args as Record<string, unknown>,
      signal,
    );
  }

  /** Stops every server; no process of theirs is left. */
  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((s) => s.close()));
  }
}

function notesFor(statuses: McpServerStatus[]): string {
  if (statuses.length === 0) return "";
  const lines = statuses.map((s) =>
    s.ok
      ? `- '${s.server}': ${s.tools} tools (named mcp__${s.server}__<tool>)${
        s.dropped > 0 ? `; ${s.dropped} left out (unsafe names)` : ""
      }`
      : `- '${s.server}': unavailable, it ${s.error}`
  );
  return `MCP servers of this work order (their tools count against your steps like any other):\n${
    lines.join("\n")
  }`;
}
