/** work_order: public entry point of this folder. */
export * from "./frontmatter.ts";
export * from "./parse.ts";
export * from "./rules.ts";
export * from "./schema.ts";
export * from "./mcp_servers.ts";
export * from "./stored.ts";
