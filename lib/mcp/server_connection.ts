/**
 * One MCP server of a turn: started (stdio in the sandbox, or streamable
 * HTTP behind the URL policy), initialized and listed within a deadline, or
 * failed with the reason. Calls are bounded by a timeout; a server that
 * times out, crashes or misbehaves is stopped and stays unavailable, and
 * every failure is text for the model, never a thrown error.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  ResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { McpServerSpec } from "../work_order/mod.ts";
import { type SandboxMode, spawnSandboxed } from "../sandbox/mod.ts";
import type { McpUrlPolicy } from "./allow.ts";
import { guardedFetch } from "./guarded_fetch.ts";
import { SandboxTransport } from "./sandbox_transport.ts";
import { resultText } from "./result_text.ts";
import { MAX_TOOLS_PER_SERVER } from "./offered_tools.ts";

/** Where stdio servers run: the SE's working copy in the sandbox. */
export interface McpSandbox {
  cwd: string;
  mountAt?: string | undefined;
  /** The work order's env (each server's own env is added). */
  env: Record<string, string>;
  mode: SandboxMode;
  hideDirs: string[];
}

/** Deadlines of a server's start and of each call. */
export interface McpTimeouts {
  startMs: number;
  callMs: number;
}

/** What one call produced, as the SE's tool outcome. */
export type McpCallOutcome =
  | { kind: "result"; text: string }
  | { kind: "error"; text: string; reason: "tool_error" | "timeout" };

const CLIENT_INFO = { name: "aos", version: "1" };
/**
 * tools/list as it is read: one malformed tool must not cost the server its
 * good ones, so entries are checked one by one later, not all at once here.
 */
const LOOSE_TOOL_LIST = z.looseObject({
  tools: z.array(z.unknown()).max(1000),
  nextCursor: z.string().max(1000).optional(),
});
/** Pages of tools/list read at most. */
const MAX_LIST_PAGES = 5;

/** A started (or failed) MCP server. */
export class ServerConnection {
  readonly name: string;
  /** What tools/list returned, each entry unchecked (offeredTools() sorts them out). */
  tools: unknown[] = [];
  /** Why the server is unavailable, or null while it works. */
  failure: string | null = null;
  #client: Client | null = null;
  #transport: Transport | null = null;
  #stderr: () => string = () => "";
  readonly #timeouts: McpTimeouts;

  private constructor(name: string, timeouts: McpTimeouts) {
    this.name = name;
    this.#timeouts = timeouts;
  }

  /** Starts, initializes and lists the server; on failure `failure` says why. */
  static async start(opts: {
    name: string;
    spec: McpServerSpec;
    sandbox: McpSandbox;
    urlPolicy: McpUrlPolicy;
    timeouts: McpTimeouts;
  }): Promise<ServerConnection> {
    const server = new ServerConnection(opts.name, opts.timeouts);
    const deadline = AbortSignal.timeout(opts.timeouts.startMs);
    try {
      await server.#connect(opts, deadline);
    } catch (error) {
      server.failure = `did not start: ${server.#explain(error, "start")}`;
      await server.close();
    }
    return server;
  }

  async #connect(
    opts: Parameters<typeof ServerConnection.start>[0],
    deadline: AbortSignal,
  ): Promise<void> {
    const { spec } = opts;
    if ("url" in spec) {
      this.#transport = new StreamableHTTPClientTransport(new URL(spec.url), {
        fetch: guardedFetch(opts.urlPolicy),
      });
    } else {
      const process = await spawnSandboxed({
        argv: spec.command,
        cwd: opts.sandbox.cwd,
        mountAt: opts.sandbox.mountAt,
        env: { ...opts.sandbox.env, ...(spec.env ?? {}) },
        mode: opts.sandbox.mode,
        hideDirs: opts.sandbox.hideDirs,
      });
      this.#stderr = () => process.stderr();
      this.#transport = new SandboxTransport(process);
    }
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    this.#client = client;
    const options = { signal: deadline, timeout: opts.timeouts.startMs };
    await client.connect(this.#transport, options);
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = LOOSE_TOOL_LIST.parse(
        await client.request(
          {
            method: "tools/list",
            ...(cursor === undefined ? {} : { params: { cursor } }),
          },
          ResultSchema,
          options,
        ),
      );
      this.tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (cursor === undefined || this.tools.length >= MAX_TOOLS_PER_SERVER) {
        break;
      }
    }
  }

  /** Calls `tool` with `args`; failures come back as error outcomes (an abort of `signal` throws). */
  async call(
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpCallOutcome> {
    const client = this.#client;
    if (this.failure !== null || client === null) {
      return this.#unavailable();
    }
    try {
      const result = await client.request(
        { method: "tools/call", params: { name: tool, arguments: args } },
        CallToolResultSchema,
        {
          timeout: this.#timeouts.callMs,
          maxTotalTimeout: this.#timeouts.callMs,
          ...(signal ? { signal } : {}),
        },
      );
      const { text } = resultText(result);
      return result.isError
        ? { kind: "error", reason: "tool_error", text: `Error: ${text}` }
        : { kind: "result", text };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const code = mcpCode(error);
      if (
        code !== null && code !== ErrorCode.RequestTimeout &&
        code !== ErrorCode.ConnectionClosed
      ) {
        // The server answered with an error: it still works.
        return {
          kind: "error",
          reason: "tool_error",
          text: `Error: MCP server '${this.name}' answered: ${
            String((error as Error).message).slice(0, 2000)
          }`,
        };
      }
      const timedOut = code === ErrorCode.RequestTimeout;
      // A server that failed a call this way is not trusted with another.
      this.failure = timedOut
        ? `was stopped after a call took longer than ${
          this.#timeouts.callMs / 1000
        } s`
        : `stopped: ${this.#explain(error, "call")}`;
      await this.close();
      return {
        kind: "error",
        reason: timedOut ? "timeout" : "tool_error",
        text: `Error: MCP server '${this.name}' ${this.failure}`,
      };
    }
  }

  /** Stops the server (kills a stdio server's sandbox); safe to call twice. */
  async close(): Promise<void> {
    const client = this.#client;
    const transport = this.#transport;
    this.#client = null;
    this.#transport = null;
    if (client) await client.close().catch(() => {});
    else await transport?.close().catch(() => {});
  }

  #unavailable(): McpCallOutcome {
    return {
      kind: "error",
      reason: "tool_error",
      text: `Error: MCP server '${this.name}' is not available: it ${
        this.failure ?? "is closed"
      }; use other tools`,
    };
  }

  #explain(error: unknown, phase: "start" | "call"): string {
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "TimeoutError") {
      message = `no answer within ${this.#timeouts.startMs / 1000} s`;
    } else if (mcpCode(error) === ErrorCode.RequestTimeout) {
      message = `no answer within ${
        (phase === "start" ? this.#timeouts.startMs : this.#timeouts.callMs) /
        1000
      } s`;
    }
    const stderr = this.#stderr().trim();
    const tail = stderr.length > 600 ? `…${stderr.slice(-600)}` : stderr;
    return `${message.slice(0, 600)}${tail ? `\nits stderr:\n${tail}` : ""}`;
  }
}

/** The JSON-RPC error code of an McpError, else null. */
function mcpCode(error: unknown): number | null {
  return error instanceof McpError
    ? Number((error as { code?: unknown }).code)
    : null;
}
