/**
 * The `mcp_servers` field (DESIGN §6): name → `{ command: [...], env? }` (a
 * stdio server started in the SE's sandbox) or `{ url }` (a streamable HTTP
 * server on a host in AOS_MCP_ALLOW). Names become part of tool names
 * (`mcp__<server>__<tool>`), so they are short and never contain `__`.
 */
import { z } from "zod";
import { envNameProblem, quote } from "./rules.ts";

/** A server name: letters, digits, `-`, single `_` between them; at most 20 characters. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/;
/** Longest server name (tool names are at most 64 characters in all). */
export const MCP_SERVER_NAME_MAX = 20;
/** Most servers one work order may start. */
export const MAX_MCP_SERVERS = 8;

const noNul = (value: string, ctx: z.RefinementCtx) => {
  if (value.includes("\0")) {
    ctx.addIssue({
      code: "custom",
      message: "Must not contain NUL characters",
      input: value,
    });
  }
};

const stdioServer = z.strictObject({
  command: z.array(z.string().min(1).max(4096).superRefine(noNul)).min(1)
    .max(64),
  env: z.record(z.string(), z.string().max(32_768).superRefine(noNul))
    .superRefine((env, ctx) => {
      for (const name of Object.keys(env)) {
        const message = envNameProblem(name);
        if (message !== null) {
          ctx.addIssue({ code: "custom", message, path: [name], input: name });
        }
      }
      if (Object.keys(env).length > 50) {
        ctx.addIssue({
          code: "custom",
          message: "Must have at most 50 variables",
          input: env,
        });
      }
    }).optional(),
});

const httpServer = z.strictObject({
  url: z.string().max(2048).superRefine((url, ctx) => {
    const message = mcpUrlProblem(url);
    if (message !== null) ctx.addIssue({ code: "custom", message, input: url });
  }),
});

/** The rule an MCP server `url` breaks, or null (the host allow-list is checked apart). */
export function mcpUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `Must be an http(s) URL, got ${quote(url)}`;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `Must be an http(s) URL, got ${quote(url)}`;
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "Must not carry credentials (user:password@): work orders are not secret";
  }
  return null;
}

/** One server: stdio (`command`) or streamable HTTP (`url`). */
export const mcpServerSchema = z.custom<unknown>().transform((value, ctx) => {
  const shape = value !== null && typeof value === "object" &&
      !Array.isArray(value) && "url" in value
    ? httpServer
    : stdioServer;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    ctx.addIssue({
      code: "custom",
      message:
        "Must be a mapping: { command: [program, args...], env? } or { url }",
      input: value,
    });
    return z.NEVER;
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // Passed on as they are: toFieldIssues words them like any field's.
      ctx.addIssue(
        { ...issue, input: issue.input ?? value } as unknown as Parameters<
          typeof ctx.addIssue
        >[0],
      );
    }
    return z.NEVER;
  }
  return parsed.data as McpServerSpec;
});

/** A stdio MCP server as the work order gives it. */
export type McpStdioSpec = z.output<typeof stdioServer>;
/** A streamable HTTP MCP server as the work order gives it. */
export type McpHttpSpec = z.output<typeof httpServer>;
/** One MCP server of a work order. */
export type McpServerSpec = McpStdioSpec | McpHttpSpec;

/** The whole field: at most MAX_MCP_SERVERS servers under safe names. */
export const mcpServersSchema = z.record(z.string(), mcpServerSchema)
  .superRefine((servers, ctx) => {
    for (const name of Object.keys(servers)) {
      if (name.length > MCP_SERVER_NAME_MAX || !MCP_SERVER_NAME.test(name)) {
        ctx.addIssue({
          code: "custom",
          message: `Server name ${
            quote(name)
          } must be letters, digits, '-' and single '_' (at most ${MCP_SERVER_NAME_MAX} characters)`,
          path: [name],
          input: name,
        });
      }
    }
    if (Object.keys(servers).length > MAX_MCP_SERVERS) {
      ctx.addIssue({
        code: "custom",
        message: `Must have at most ${MAX_MCP_SERVERS} servers`,
        input: servers,
      });
    }
  }).transform((servers) => servers as Record<string, McpServerSpec>)
  .default({});
