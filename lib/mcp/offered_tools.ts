/**
 * What a server's tools/list becomes before the model sees it: a hostile
 * server can return anything, so names outside a safe charset or past the
 * 64-character function-name limit are dropped (never renamed: a rename
 * could collide), duplicates too, descriptions are stripped of control
 * characters and capped, and an input schema past a size cap (or not an
 * object schema) is replaced by a bare object schema.
 */

/** The prefix of every MCP tool the SE is offered. */
export const MCP_TOOL_PREFIX = "mcp__";
/** Most tools offered from one server. */
export const MAX_TOOLS_PER_SERVER = 40;
/** Longest description kept. */
export const MAX_DESCRIPTION_CHARS = 1000;
/** Largest input schema kept (JSON characters). */
export const MAX_SCHEMA_CHARS = 8000;

const TOOL_NAME = /^[A-Za-z0-9_-]+$/;
const FUNCTION_NAME_MAX = 64;
const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** One tool as offered to the model. */
export interface OfferedTool {
  /** `mcp__<server>__<tool>`. */
  name: string;
  server: string;
  /** The server's own name for it. */
  tool: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** The offered tools of one server and how many of its tools were left out. */
export function offeredTools(
  server: string,
  tools: readonly unknown[],
): { offered: OfferedTool[]; dropped: number } {
  const offered: OfferedTool[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const entry of tools) {
    const tool = (entry !== null && typeof entry === "object" ? entry : {}) as {
      name?: unknown;
      description?: unknown;
      inputSchema?: unknown;
    };
    const name = `${MCP_TOOL_PREFIX}${server}__${String(tool.name)}`;
    if (
      typeof tool.name !== "string" || !TOOL_NAME.test(tool.name) ||
      name.length > FUNCTION_NAME_MAX || seen.has(name) ||
      offered.length >= MAX_TOOLS_PER_SERVER
    ) {
      dropped++;
      continue;
    }
    seen.add(name);
    offered.push({
      name,
      server,
      tool: tool.name,
      description: describe(server, tool.description),
      parameters: inputSchema(tool.inputSchema),
    });
  }
  return { offered, dropped };
}

function describe(server: string, description: unknown): string {
  const text = typeof description === "string"
    ? description.replace(CONTROL, " ").trim()
    : "";
  const short = text.length > MAX_DESCRIPTION_CHARS
    ? `${text.slice(0, MAX_DESCRIPTION_CHARS)}…`
    : text;
  return `(MCP server '${server}') ${short || "No description."}`;
}

function inputSchema(schema: unknown): Record<string, unknown> {
  const bare = { type: "object", properties: {} };
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    return bare;
  }
  if ((schema as { type?: unknown }).type !== "object") return bare;
  let json: string;
  try {
    json = JSON.stringify(schema);
  } catch {
    return bare;
  }
  if (json.length > MAX_SCHEMA_CHARS) return bare;
  // A plain-data copy: nothing of the server's object survives but JSON.
  return JSON.parse(json);
}
