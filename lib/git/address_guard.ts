/**
 * The address guard for repositories (SSRF): a work order's `repo` must not
 * make the service fetch from, or push to, loopback, the LAN or a cloud
 * metadata address. Checked at submit, and again each time git connects —
 * with the checked addresses pinned for curl (`http.curloptResolve`) and
 * redirects off, so neither a second DNS answer (rebinding) nor a redirect
 * moves the request elsewhere. Local paths and file:// have their own rule
 * (AOS_ALLOW_LOCAL_REPOS).
 */
import { checkHost, dnsResolver, type Resolver } from "../net/mod.ts";
import { GitError } from "./errors.ts";

/** Which repository hosts may resolve to private addresses. */
export interface RepoAddressPolicy {
  /** AOS_REPO_ALLOW_PRIVATE: any address may be reached (a self-hosted forge on the LAN). */
  allowPrivate: boolean;
  /** AOS_REPO_ALLOWLIST: a host an entry names literally is trusted, whatever it resolves to. */
  allowlist: readonly string[];
  /** How names become addresses (DNS by default). */
  resolve?: Resolver;
}

/** The policy when none is configured: every host guarded. */
export const GUARD_ALL: RepoAddressPolicy = {
  allowPrivate: false,
  allowlist: [],
};

/** Where a repository location connects: null for local paths and file:// URLs. */
export interface RepoEndpoint {
  scheme: "http" | "https" | "ssh";
  /** Lower-cased, IPv6 without brackets. */
  host: string;
  port: number;
}

const SCP_LIKE = /^[^/@:]+@(\[[^\]]*\]|[^:/]+):/;
const DEFAULT_PORT = { http: 80, https: 443, ssh: 22 } as const;

/** The endpoint `repo` connects to (https, http, ssh URLs and `user@host:path`). */
export function repoEndpoint(repo: string): RepoEndpoint | null {
  const scp = !repo.includes("://") ? SCP_LIKE.exec(repo) : null;
  if (scp) return { scheme: "ssh", host: bare(scp[1] ?? ""), port: 22 };
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== "http" && scheme !== "https" && scheme !== "ssh") return null;
  return {
    scheme,
    host: bare(url.hostname),
    port: url.port === "" ? DEFAULT_PORT[scheme] : Number(url.port),
  };
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
}

/** True when an AOS_REPO_ALLOWLIST entry names `host` literally (a glob in the host never does). */
function trusted(host: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) => {
    const named = repoEndpoint(entry);
    return named !== null && named.host === host &&
      !/[*?[\]{}]/.test(named.host);
  });
}

/** What the guard decided for one repository. */
export type RepoAddressCheck =
  | {
    ok: true;
    endpoint: RepoEndpoint | null;
    /** False for local repositories and hosts the policy trusts. */
    guarded: boolean;
    /** The checked addresses of a host name, to pin; null for a literal address. */
    pin: string[] | null;
  }
  | { ok: false; message: string; retry: boolean };

/**
 * Resolves `repo`'s host and refuses it when any address is private, unless
 * the policy trusts the host.
 */
export async function checkRepoAddress(
  repo: string,
  policy: RepoAddressPolicy,
): Promise<RepoAddressCheck> {
  const endpoint = repoEndpoint(repo);
  if (
    endpoint === null || policy.allowPrivate ||
    trusted(endpoint.host, policy.allowlist)
  ) {
    return { ok: true, endpoint, guarded: false, pin: null };
  }
  const check = await checkHost(endpoint.host, policy.resolve ?? dnsResolver);
  if (!check.ok) {
    return {
      ok: false,
      retry: check.retry,
      message: check.retry ? check.message : `${check.message}: ` +
        "repositories on loopback, private or link-local addresses need AOS_REPO_ALLOW_PRIVATE=true, " +
        "or their host named in an AOS_REPO_ALLOWLIST entry",
    };
  }
  const literal = check.addresses.length === 1 &&
    check.addresses[0] === endpoint.host;
  return {
    ok: true,
    endpoint,
    guarded: true,
    pin: literal ? null : check.addresses,
  };
}

/**
 * Checks `repo` right before git connects and returns `env` plus the
 * `GIT_CONFIG_*` variables that hold git to what was checked: for a guarded
 * http(s) host, the addresses pinned and redirects off. Throws a GitError
 * when the guard refuses the host, or cannot resolve it (git's own lookup
 * could answer differently). ssh has no pinning: it is checked only.
 */
export async function guardedRemoteEnv(
  repo: string,
  policy: RepoAddressPolicy,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const check = await checkRepoAddress(repo, policy);
  if (!check.ok) throw new GitError(check.message, "address_refused");
  const { endpoint, pin } = check;
  if (!check.guarded || endpoint === null || endpoint.scheme === "ssh") {
    return env;
  }
  const pairs: [string, string][] = [["http.followRedirects", "false"]];
  if (pin !== null) {
    const list = pin.map((a) => a.includes(":") ? `[${a}]` : a);
    pairs.push([
      "http.curloptResolve",
      `${endpoint.host}:${endpoint.port}:${list.join(",")}`,
    ]);
  }
  return withGitConfig(env, pairs);
}

/** `env` with `pairs` appended to its `GIT_CONFIG_COUNT` / `_KEY_n` / `_VALUE_n` list. */
export function withGitConfig(
  env: Record<string, string>,
  pairs: [string, string][],
): Record<string, string> {
  const out = { ...env };
  let count = Number(env.GIT_CONFIG_COUNT ?? "0");
  for (const [key, value] of pairs) {
    out[`GIT_CONFIG_KEY_${count}`] = key;
    out[`GIT_CONFIG_VALUE_${count}`] = value;
    count++;
  }
  out.GIT_CONFIG_COUNT = String(count);
  return out;
}
