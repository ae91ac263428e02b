/** Runs git with hooks off, no user config, no prompts, and credentials only per command. */
import { resolve } from "node:path";
import { Redactor } from "../redact.ts";
import type { GitCredentials } from "./credentials.ts";
import { GitError } from "./errors.ts";

export { GitError, type GitFailure } from "./errors.ts";

/** Settings every git invocation gets, ahead of the subcommand. */
const BASE_CONFIG = [
  "core.hooksPath=/dev/null",
  "protocol.file.allow=always",
  "credential.helper=",
  "core.fsmonitor=false",
  "core.askPass=",
  "gc.auto=0",
  "maintenance.auto=false",
  "advice.detachedHead=false",
  "init.defaultBranch=main",
  "commit.gpgSign=false",
  "tag.gpgSign=false",
];

/** Host variables git legitimately needs (proxies, CA bundles, ssh agent); nothing else leaks in. */
const PASSTHROUGH_ENV = [
  "PATH",
  "HOME",
  "SSH_AUTH_SOCK",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GIT_SSL_CAINFO",
  "TZ",
];

/** How to reach a remote: its URL without credentials, and the env that carries them. */
export interface RemoteAccess {
  /** The URL (or absolute local path) to record and show; never holds credentials. */
  url: string;
  /** `GIT_CONFIG_*` variables adding an auth header scoped to the remote's host; may be empty. */
  env: Record<string, string>;
  /** `host` or `host:port` of a URL remote, for messages; null for local paths. */
  host: string | null;
  /** Where the credential sent comes from, or null when none is sent. */
  credentialSource: string | null;
}

/**
 * Splits `repo` into a credential-free URL and per-command auth. The host's
 * credential from `credentials` (AOS_GIT_CREDENTIALS, GITHUB_TOKEN for
 * github.com), or credentials embedded in the URL, become an
 * `http.<origin>/.extraHeader` passed through the environment (not argv, not a
 * config file), as `Authorization: Basic base64(username:token)`. A credential
 * is never sent over plain http unless its host entry says `insecure_http`:
 * that throws a GitError instead. Relative local paths resolve against the
 * current directory.
 */
export function remoteAccess(
  repo: string,
  credentials?: GitCredentials | null,
): RemoteAccess {
  const none = { env: {}, host: null, credentialSource: null };
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.exec(repo);
  if (!url) {
    const scpLike = /^[^/]*:/.test(repo) && !/^[A-Za-z]:[\\/]/.test(repo);
    return {
      ...none,
      url: scpLike ? repo : resolve(Deno.cwd(), repo),
      host: scpLike
        ? repo.slice(repo.indexOf("@") + 1, repo.indexOf(":"))
        : null,
    };
  }
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/@]*)@)?([^/?#]*)(.*)$/is.exec(
    repo,
  );
  if (!match) return { ...none, url: repo };
  const [, scheme = "", userinfo, host = "", rest = ""] = match;
  const http = /^https?:\/\/$/i.test(scheme);
  if (!http) {
    // ssh://user@host keeps its user name (not a secret); a password never stays.
    const user = userinfo?.split(":")[0];
    return {
      ...none,
      url: `${scheme}${user ? `${user}@` : ""}${host}${rest}`,
      host: host || null,
    };
  }
  const bare = `${scheme}${host}${rest}`;
  const plain = /^http:/i.test(scheme);
  const [hostname = "", port = ""] = splitHostPort(host);
  let basic: string | null = null;
  let source: string | null = null;
  let insecureOk = false;
  if (userinfo !== undefined && userinfo !== "") {
    const [user = "", password = ""] = userinfo.split(":").map(safeDecode);
    basic = password === "" ? `x-access-token:${user}` : `${user}:${password}`;
    source = "the repository URL";
  } else {
    const credential = credentials?.forHost(hostname, port) ?? null;
    if (credential) {
      basic = `${credential.username}:${credential.token}`;
      source = credential.source;
      insecureOk = credential.insecureHttp;
    }
  }
  if (basic === null) return { ...none, url: bare, host };
  if (plain && !insecureOk) {
    throw new GitError(
      `Refusing to send the credential from ${source} to host '${host}' over plain http ('${bare}'): ` +
        `use an https:// repository URL, or set "insecure_http": true for this host in AOS_GIT_CREDENTIALS (test rigs only)`,
      "insecure_http",
    );
  }
  return {
    url: bare,
    host,
    credentialSource: source,
    env: {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `http.${scheme}${host}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${btoa(basic)}`,
    },
  };
}

/** `host` and `port` ("" when absent) of a URL authority, IPv6 brackets kept off. */
function splitHostPort(authority: string): [string, string] {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!m) return [authority, ""];
  return [(m[1] ?? "").replace(/^\[|\]$/g, ""), m[2] ?? ""];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Options for one git invocation. */
export interface GitOptions {
  cwd?: string;
  /** Extra environment (auth from remoteAccess, GIT_INDEX_FILE, dates). */
  env?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Secrets to scrub from error messages besides the generic patterns. */
  secrets?: (string | null | undefined)[];
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

/** What a git command printed and how it ended. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/** Runs `git <args>` under the safe settings; throws GitError on failure unless `allowFailure`. */
export async function git(
  args: string[],
  opts: GitOptions = {},
): Promise<GitResult> {
  opts.signal?.throwIfAborted();
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH_ENV) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    ...opts.env,
  });
  const child = new Deno.Command("git", {
    args: [...BASE_CONFIG.flatMap((c) => ["-c", c]), ...args],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const onAbort = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  opts.signal?.throwIfAborted();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (result.code !== 0 && !opts.allowFailure) {
    throw gitError(args, result, opts.secrets ?? []);
  }
  return result;
}

/** The GitError for a failed command: subcommand, exit code and redacted stderr. */
export function gitError(
  args: string[],
  result: GitResult,
  secrets: (string | null | undefined)[],
  prefix?: string,
): GitError {
  const redactor = new Redactor(secrets);
  const sub = args.find((a) => !a.startsWith("-")) ?? "git";
  const detail =
    redactor.redact(result.stderr.trim() || result.stdout.trim()) ||
    "no output";
  return new GitError(
    `${
      prefix ? `${redactor.redact(prefix)}: ` : ""
    }git ${sub} failed with exit code ${result.code}: ${detail}`,
  );
}
