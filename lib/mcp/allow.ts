/**
 * Which MCP `url`s may be called: the host must be in the operator's
 * AOS_MCP_ALLOW (exact hosts or `*.suffix`), and every address it resolves
 * to must be public unless AOS_MCP_ALLOW_PRIVATE=true (lib/net's guard).
 */
import { checkHost, dnsResolver, type Resolver } from "../net/mod.ts";

/** The operator's policy for MCP URLs. */
export interface McpUrlPolicy {
  /** AOS_MCP_ALLOW: exact host names or `*.suffix` patterns (lower case). */
  allow: readonly string[];
  /** AOS_MCP_ALLOW_PRIVATE: allowed hosts may resolve to loopback or private addresses. */
  allowPrivate: boolean;
  resolve?: Resolver;
}

/** Refuses every URL: no AOS_MCP_ALLOW set. */
export const NO_MCP_URLS: McpUrlPolicy = { allow: [], allowPrivate: false };

const HOST_PATTERN =
  /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$/;

/** AOS_MCP_ALLOW parsed: the patterns, or the first bad entry's message. */
export function parseMcpAllow(
  raw: string | undefined,
): { allow: string[] } | { problem: string } {
  const allow = (raw ?? "").split(",").map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  for (const entry of allow) {
    if (!HOST_PATTERN.test(entry)) {
      return {
        problem:
          `Entry '${entry}' is not a host name, '*.suffix' or [IPv6 address] (no scheme, port or path)`,
      };
    }
  }
  return { allow };
}

/** Whether `host` (as in a URL) matches one of the patterns. */
export function mcpHostAllowed(
  host: string,
  allow: readonly string[],
): boolean {
  const bare = host.toLowerCase().replace(/\.$/, "");
  return allow.some((pattern) =>
    pattern.startsWith("*.")
      ? bare.endsWith(pattern.slice(1)) && bare.length > pattern.length - 1
      : bare === pattern
  );
}

/** Null when `url` may be called now, else why not (model-facing, no secret in it). */
export async function mcpUrlRefusal(
  url: URL,
  policy: McpUrlPolicy,
): Promise<string | null> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `Refused: '${url.protocol}' is not http(s)`;
  }
  if (!mcpHostAllowed(url.hostname, policy.allow)) {
    return `Refused: host '${url.hostname}' is not in the operator's AOS_MCP_ALLOW`;
  }
  if (policy.allowPrivate) return null;
  const check = await checkHost(url.hostname, policy.resolve ?? dnsResolver);
  if (check.ok) return null;
  return check.retry
    ? check.message
    : `${check.message} (the operator's AOS_MCP_ALLOW_PRIVATE=true would allow it)`;
}
