/**
 * What a hostile web page could do with a browser that can reach the
 * service, refused before any route runs (README "Security"):
 *
 * - **Cross-site requests.** A page on another site can make the browser send
 *   a form POST (or an image or script load) to the service without reading
 *   the answer; with no AOS_API_TOKEN that alone submitted and ran a work
 *   order. A request whose `Origin` is not the service's own, or that the
 *   browser marks `Sec-Fetch-Site: cross-site`/`same-site`, is a 403 — except
 *   a GET that follows a link (a top-level navigation), which changes nothing.
 *   Clients that send neither header (curl, the CLI, forges, other services)
 *   are not browsers carrying a page's request, and pass.
 * - **DNS rebinding.** A page on a name the attacker controls re-points that
 *   name at 127.0.0.1 and reads the API as its own origin; the browser then
 *   sends `Host: evil.example`. Without a token the service answers only
 *   Host names that cannot be rebound or that the operator named: loopback
 *   names, IP addresses, AOS_PUBLIC_URL's host, AOS_ALLOWED_HOSTS; any other
 *   is a 421. With a token the rebound page holds neither the bearer token
 *   (never sent by the browser on its own) nor the dashboard's cookie (kept
 *   per host name), so the rule applies only if AOS_ALLOWED_HOSTS is set.
 */
import type { MiddlewareHandler } from "hono";
import type { Config } from "../../lib/config.ts";
import { HttpError } from "../errors.ts";

/** The Host and Origin rules of one service, built once from its config. */
export interface RequestPolicy {
  /** Host names allowed besides loopback names and IP addresses; null when the Host rule is off. */
  hosts: HostRule | null;
  /** Origins besides the request's own that may send browser requests (AOS_PUBLIC_URL's). */
  origins: readonly string[];
}

/** Names the Host rule allows beyond the built-in ones. */
interface HostRule {
  exact: ReadonlySet<string>;
  /** `.suffix` of each `*.suffix` entry. */
  suffixes: readonly string[];
  any: boolean;
  /** Verdicts of Host values seen (parsing one costs microseconds; clients repeat theirs). */
  seen: Map<string, boolean>;
}

/** Host verdicts kept; past this the memo starts over, so made-up Hosts cannot grow it. */
const SEEN_HOSTS = 256;

/** The policy `config` asks for. */
export function requestPolicy(
  config: Pick<Config, "apiToken" | "publicUrl" | "allowedHosts">,
): RequestPolicy {
  const publicUrl = config.publicUrl === null
    ? null
    : new URL(config.publicUrl);
  const on = config.apiToken === null || config.allowedHosts.length > 0;
  const hosts: HostRule | null = on
    ? {
      exact: new Set([
        ...config.allowedHosts.filter((h) => !h.startsWith("*")),
        ...(publicUrl ? [publicUrl.hostname] : []),
      ]),
      suffixes: config.allowedHosts.filter((h) => h.startsWith("*."))
        .map((h) => h.slice(1)),
      any: config.allowedHosts.includes("*"),
      seen: new Map(),
    }
    : null;
  return { hosts, origins: publicUrl ? [publicUrl.origin] : [] };
}

/** Why `req` is refused (a 421 or 403 to throw), or null when it may go on. */
export function requestRefusal(
  req: Request,
  policy: RequestPolicy,
): HttpError | null {
  const host = req.headers.get("host") ?? new URL(req.url).host;
  if (policy.hosts !== null && !hostAllowed(host, policy.hosts)) {
    return new HttpError(
      421,
      "misdirected_request",
      `Host ${
        JSON.stringify(host.slice(0, 200))
      } is not a name of this service: without AOS_API_TOKEN it answers loopback names, IP addresses, the host of AOS_PUBLIC_URL and AOS_ALLOWED_HOSTS`,
    );
  }
  return crossSiteRefusal(req, policy.origins);
}

/** Middleware: the request's refusal, if any, becomes the response. */
export function requestGuard(policy: RequestPolicy): MiddlewareHandler {
  return async (c, next) => {
    const refusal = requestRefusal(c.req.raw, policy);
    if (refusal !== null) throw refusal;
    await next();
  };
}

/** `name[:port]` or `[v6][:port]`, nothing else (no userinfo, path or spaces). */
const HOST_HEADER = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]{1,5})?$/i;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function hostAllowed(host: string, rule: HostRule): boolean {
  let allowed = rule.seen.get(host);
  if (allowed === undefined) {
    if (rule.seen.size >= SEEN_HOSTS) rule.seen.clear();
    allowed = judgeHost(host, rule);
    rule.seen.set(host, allowed);
  }
  return allowed;
}

function judgeHost(host: string, rule: HostRule): boolean {
  if (!HOST_HEADER.test(host)) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.replace(/\.$/, "");
  } catch {
    return false;
  }
  // An address cannot be rebound: a page showing it as its origin was served
  // from that address. (Vite's dev server allows them for the same reason.)
  if (name.startsWith("[") || IPV4.test(name)) return true;
  // *.localhost resolves to loopback in the browser itself (RFC 6761).
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return rule.any || rule.exact.has(name) ||
    rule.suffixes.some((suffix) => name.endsWith(suffix));
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** The 403 of a browser request from another site, or null; `origins` are allowed besides the request's own. */
export function crossSiteRefusal(
  req: Request,
  origins: readonly string[],
): HttpError | null {
  const headers = req.headers;
  const host = headers.get("host") ?? new URL(req.url).host;
  // Following a link from another site (a PR body's link to the run page)
  // is a navigation: allowed for reads, never for a form POST.
  if (
    SAFE_METHODS.has(req.method) &&
    headers.get("sec-fetch-mode") === "navigate"
  ) return null;
  const origin = headers.get("origin");
  if (origin !== null && !originAllowed(origin, host, origins)) {
    return refused(`Origin ${JSON.stringify(origin.slice(0, 200))}`);
  }
  // Browsers mark every request; an honest one never calls a request from
  // the service's own page cross-site, nor sends a no-cors load from another
  // site (an <img>, a <script>) with an Origin.
  const site = headers.get("sec-fetch-site");
  if (
    (site === "same-site" && origin === null) ||
    (site === "cross-site" && !origins.includes(origin ?? ""))
  ) {
    return refused(`Sec-Fetch-Site '${site}'`);
  }
  return null;
}

/** The request's own origin (its Host), or one the operator named. */
function originAllowed(
  origin: string,
  host: string,
  origins: readonly string[],
): boolean {
  if (origins.includes(origin)) return true;
  // What browsers send: both canonical, so a string match settles it.
  const lower = host.toLowerCase();
  if (origin === `http://${lower}` || origin === `https://${lower}`) {
    return true;
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage
  }
  return (url.protocol === "http:" || url.protocol === "https:") &&
    url.host === lower;
}

function refused(what: string): HttpError {
  return new HttpError(
    403,
    "cross_site_refused",
    `Refused a browser request from another site (${what}): the service takes requests only from its own pages and from clients that are not browsers`,
  );
}
