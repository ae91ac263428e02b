/** mcp: MCP servers of a work order as SE tools (stdio in the sandbox, HTTP behind AOS_MCP_ALLOW). */
export * from "./allow.ts";
export * from "./guarded_fetch.ts";
export * from "./offered_tools.ts";
export * from "./result_text.ts";
export * from "./sandbox_transport.ts";
export * from "./server_connection.ts";
export * from "./toolbox.ts";
