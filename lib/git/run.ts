/** Runs git with hooks off, no user config, no prompts, and credentials only per command. */
import { resolve } from "node:path";
import { Redactor, redactUrl } from "../redact.ts";

/** A git command failed; the message names the subcommand and carries its redacted stderr. */
export class GitError extends Error {
  override name = "GitError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

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

/** Hosts that get GITHUB_TOKEN; sending it anywhere else would hand it to whoever runs that host. */
const TOKEN_HOSTS = /^(?:github\.com|[a-z0-9-]+\.ghe\.com)$/i;

/** How to reach a remote: its URL without credentials, and the env that carries them. */
export interface RemoteAccess {
  /** The URL (or absolute local path) to record and show; never holds credentials. */
  url: string;
  /** `GIT_CONFIG_*` variables adding an auth header scoped to the remote's host; may be empty. */
  env: Record<string, string>;
}

/**
 * Splits `repo` into a credential-free URL and per-command auth: credentials
 * embedded in an http(s) URL, or `token` for GitHub hosts, become an
 * `http.<origin>/.extraHeader` passed through the environment (not argv, not a config file).
 * Relative local paths resolve against the current directory.
 */
export function remoteAccess(
  repo: string,
  token?: string | null,
): RemoteAccess {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.exec(repo);
  if (!url) {
    const scpLike = /^[^/]*:/.test(repo) && !/^[A-Za-z]:[\\/]/.test(repo);
    return { url: scpLike ? repo : resolve(Deno.cwd(), repo), env: {} };
  }
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/@]*)@)?([^/?#]*)(.*)$/is.exec(
    repo,
  );
  if (!match) return { url: repo, env: {} };
  const [, scheme = "", userinfo, host = "", rest = ""] = match;
  const http = /^https?:\/\/$/i.test(scheme);
  if (!http) {
    // ssh://user@host keeps its user name (not a secret); a password never stays.
    const user = userinfo?.split(":")[0];
    return { url: `${scheme}${user ? `${user}@` : ""}${host}${rest}`, env: {} };
  }
  const bare = `${scheme}${host}${rest}`;
  let basic: string | null = null;
  if (userinfo !== undefined && userinfo !== "") {
    const [user = "", password = ""] = userinfo.split(":").map(safeDecode);
    basic = password === "" ? `x-access-token:${user}` : `${user}:${password}`;
  } else if (token && TOKEN_HOSTS.test(host.replace(/:\d+$/, ""))) {
    basic = `x-access-token:${token}`;
  }
  if (basic === null) return { url: bare, env: {} };
  return {
    url: bare,
    env: {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `http.${scheme}${host}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${btoa(basic)}`,
    },
  };
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

/** A repository URL fit for messages: credentials removed. */
export function shownRepo(repo: string): string {
  return redactUrl(repo);
}
