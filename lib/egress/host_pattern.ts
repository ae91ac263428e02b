/**
 * Host patterns of `network_allow` and AOS_NETWORK_ALLOW_MAX: an exact host
 * (`pypi.org`) or `*.suffix` (`*.pythonhosted.org`: any name below it, not
 * the suffix itself); AOS_NETWORK_ALLOW_MAX may also say `*` (any host).
 * Names are compared in lower case without a trailing dot.
 */

const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** A host name as the proxy compares it: lower case, no trailing dot, no brackets. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** Why `pattern` is not a host pattern (`host` or `*.suffix`; `*` only when `any`), or null. */
export function hostPatternProblem(
  pattern: string,
  opts: { any?: boolean } = {},
): string | null {
  if (pattern === "*" && opts.any) return null;
  const body = pattern.startsWith("*.") ? pattern.slice(2) : pattern;
  if (pattern.length > 253 || !HOST.test(body)) {
    return `Must be a host name ('pypi.org') or '*.suffix' ('*.npmjs.org')${
      opts.any ? " or '*'" : ""
    } — no scheme, port, path or other wildcard — got '${pattern}'`;
  }
  if (!body.includes(".") && pattern.startsWith("*.")) {
    return `'${pattern}' would allow every host of a top-level domain; name a longer suffix`;
  }
  return null;
}

/** Whether `host` (normalised) is allowed by `pattern`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

/** Whether any of `patterns` allows `host`. */
export function hostAllowed(
  patterns: readonly string[],
  host: string,
): boolean {
  const name = normalizeHost(host);
  return patterns.some((p) => hostMatches(p, name));
}

/** Whether `entry` (a work order's pattern) asks for no more than one of `ceiling` allows. */
export function patternCovered(
  entry: string,
  ceiling: readonly string[],
): boolean {
  return ceiling.some((max) => {
    if (max === "*") return true;
    if (entry.startsWith("*.")) {
      // `*.a.b` is within `*.b` (and within `*.a.b`), never within an exact host.
      return max.startsWith("*.") && entry.slice(1).endsWith(max.slice(1));
    }
    return hostMatches(max, entry);
  });
}
