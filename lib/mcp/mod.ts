/** mcp: MCP servers of a work order as SE tools (stdio in the sandbox, HTTP behind AOS_MCP_ALLOW). */
export { type McpUrlPolicy, parseMcpAllow } from "./allow.ts";
export { MCP_TOOL_PREFIX } from "./offered_tools.ts";
export { type McpServerStatus, McpToolbox } from "./toolbox.ts";
