/** Service configuration read from the environment (DESIGN §10). */
import { type FieldIssue, ValidationError } from "./errors.ts";
import { redactUrl } from "./redact.ts";
import type { SandboxSetting } from "./sandbox/sandbox.ts";
import { GitCredentials, readGitCredentials } from "./git/credentials.ts";
import type { RepoAddressPolicy } from "./git/address_guard.ts";
import { DEFAULT_GIT_AUTHOR, type GitAuthor } from "./git/commit.ts";
import { isPostgresUrl } from "./store/postgres/mod.ts";
import { readWebhookConfig, type WebhookConfig } from "./webhook/config.ts";
import { CommandSecrets, readCommandSecrets } from "./secrets/mod.ts";

/** Everything the service reads from its environment, validated and defaulted. */
export interface Config {
  openaiApiKey: string | null;
  openaiBaseUrl: string | null;
  /** Model for SE and PO unless overridden per agent (AOS_MODEL). */
  model: string;
  /** AOS_SE_MODEL, else `model`. */
  seModel: string;
  /** AOS_PO_MODEL, else `model`. */
  poModel: string;
  githubToken: string | null;
  /** AOS_GIT_CREDENTIALS (+ GITHUB_TOKEN for github.com): git and forge credentials per host. */
  gitCredentials: GitCredentials;
  /** AOS_SECRETS: secrets work orders may hand to acceptance and setup commands (names only when printed). */
  secrets: CommandSecrets;
  /** AOS_WEBHOOK_*: signed run webhooks, null when AOS_WEBHOOK_URL is unset. */
  webhook: WebhookConfig | null;
  /** AOS_PUBLIC_URL: the service's address as users reach it (links in pull requests), no trailing slash. */
  publicUrl: string | null;
  /**
   * AOS_ALLOWED_HOSTS: Host header names the API answers besides loopback
   * names, IP addresses and AOS_PUBLIC_URL's host (`name`, `*.suffix`, `*`),
   * lower case. Setting it also turns the Host rule on with a token.
   */
  allowedHosts: string[];
  /** AOS_KV: SQLite file path, `:memory:`, a KV Connect URL or `postgres://…`. */
  kvPath: string;
  /** WORKSPACE_ROOT: workspaces and the repository cache. */
  workspaceRoot: string;
  /** PORT; 0 picks a free port. */
  port: number;
  /** AOS_HOST: interface the API listens on. */
  hostname: string;
  /** AOS_API_TOKEN: enables bearer auth when set. */
  apiToken: string | null;
  /** AOS_SANDBOX. */
  sandbox: SandboxSetting;
  /** AOS_MAX_RUNS: runs executing at once per process. */
  maxRuns: number;
  /** AOS_REPO_ALLOWLIST: comma-separated URL prefixes or globs; empty allows all. */
  repoAllowlist: string[];
  /**
   * AOS_ALLOW_LOCAL_REPOS: work orders may name a repository on this host (a
   * path or file:// URL). Off by default: with it, a work order could push
   * into any repository the service can write.
   */
  allowLocalRepos: boolean;
  /**
   * AOS_REPO_ALLOW_PRIVATE (default false) with AOS_REPO_ALLOWLIST: which
   * repository hosts may resolve to loopback, private or link-local addresses.
   */
  repoAddresses: RepoAddressPolicy;
  /** AOS_MAX_BODY_BYTES: request body limit of the API. */
  maxBodyBytes: number;
  /** AOS_WORKERS: run the actor workers in this process. */
  workers: boolean;
  /**
   * AOS_RUN_CACHE_MS: how long `GET /runs/{id}` may answer a live run from
   * memory; bounds how late another process's writes show there.
   */
  runCacheMs: number;
  /** AOS_MODEL_RETRY_WINDOW_S, in ms: how long model retries may wait in all (Retry-After included). */
  modelRetryWindowMs: number;
  /** AOS_MODEL_TIMEOUT_S, in ms: how long one model request may take (a CPU model needs minutes). */
  modelTimeoutMs: number;
  /** AOS_MODEL_STREAM: stream model replies (a server that refuses is asked without). */
  modelStream: boolean;
  /** AOS_MODEL_HEARTBEAT_MS: how often a MODEL_PROGRESS event shows a model call in flight. */
  modelHeartbeatMs: number;
  /** AOS_MAX_OUTPUT_TOKENS: output-token cap sent with every model request; null (0) sends none. */
  maxOutputTokens: number | null;
  /** AOS_OUTPUT_TOKEN_PARAM: which field carries that cap. */
  outputTokenParam: "auto" | "max_completion_tokens" | "max_tokens";
  /** AOS_SE_REASONING_EFFORT, else AOS_REASONING_EFFORT: sent as `reasoning_effort`. */
  seReasoningEffort: string | null;
  /** AOS_PO_REASONING_EFFORT, else AOS_REASONING_EFFORT. */
  poReasoningEffort: string | null;
  /** AOS_CONTEXT_TOKENS: the models' context window; no request is built larger, and the output cap is held to a quarter of it. */
  contextTokens: number;
  /** AOS_ENV_CACHE_MB: bound of the cached environments under WORKSPACE_ROOT/.envs, in bytes. */
  envCacheBytes: number;
  /** AOS_WORKSPACE_RETENTION_S, in ms: how long a SUCCEEDED or CANCELLED run's workspace is kept. */
  workspaceRetentionMs: number;
  /** AOS_FAILED_WORKSPACE_RETENTION_S, in ms: how long a FAILED run's workspace is kept (for a look). */
  failedWorkspaceRetentionMs: number;
  /** AOS_MIRROR_CACHE_MB, in bytes: bound of the repository mirrors under WORKSPACE_ROOT/.cache. */
  mirrorCacheBytes: number;
  /** AOS_WORKSPACE_SWEEP_MS: how often a worker process removes expired workspaces and trims the mirrors. */
  workspaceSweepMs: number;
  /** AOS_SHUTDOWN_GRACE_MS: how long a signalled process waits for a clean shutdown before it exits anyway. */
  shutdownGraceMs: number;
  /** AOS_GIT_AUTHOR_NAME / AOS_GIT_AUTHOR_EMAIL: author and committer of AOS's commits. */
  gitAuthor: GitAuthor;
  /** AOS_LOG_FORMAT: `text` lines, or one JSON object per line. */
  logFormat: "text" | "json";
  /** AOS_SETUP_NETWORK=host: setup commands share the host's network (and loopback) instead of pasta's. */
  setupHostNetwork: boolean;
  /** AOS_SETUP_HOST_PORTS: host loopback ports setup commands may reach (a test rig's package index). */
  setupHostPorts: number[];
}

/** Default model when AOS_MODEL is unset. */
export const DEFAULT_MODEL = "gpt-4.1";

/** Reads and validates the configuration; throws ValidationError naming each bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Config {
  const issues: FieldIssue[] = [];
  const read = (name: string): string | null => {
    const value = env[name]?.trim();
    return value ? value : null;
  };
  const integer = (
    name: string,
    fallback: number,
    min: number,
    max: number,
  ): number => {
    const raw = read(name);
    if (raw === null) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      issues.push({
        field: name,
        message: `Must be an integer from ${min} to ${max}, got '${raw}'`,
      });
      return fallback;
    }
    return value;
  };

  const model = read("AOS_MODEL") ?? DEFAULT_MODEL;
  const openaiBaseUrl = read("OPENAI_BASE_URL");
  if (openaiBaseUrl !== null && !isHttpUrl(openaiBaseUrl)) {
    issues.push({
      field: "OPENAI_BASE_URL",
      message: `Must be an http(s) URL, got '${redactUrl(openaiBaseUrl)}'`,
    });
  }
  const sandbox = read("AOS_SANDBOX") ?? "auto";
  if (sandbox !== "bwrap" && sandbox !== "none" && sandbox !== "auto") {
    issues.push({
      field: "AOS_SANDBOX",
      message: `Must be one of 'bwrap', 'none', 'auto', got '${sandbox}'`,
    });
  }
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (!["0", "false", "no", "off"].includes(raw)) {
      issues.push({
        field: name,
        message: `Must be 'true' or 'false', got '${env[name]}'`,
      });
    }
    return false;
  };
  // Deno Deploy sets DENO_DEPLOYMENT_ID. It runs no subprocesses (no git, no
  // bwrap), so a process there serves the API only, and its store must be one
  // the self-hosted workers reach too: a Postgres database (Deploy's own KV
  // is not reachable from outside).
  const onDeploy = read("DENO_DEPLOYMENT_ID") !== null;
  const workers = flag("AOS_WORKERS", !onDeploy);
  const kvPath = read("AOS_KV") ?? "./.aos/aos.kv";
  if (onDeploy && workers) {
    issues.push({
      field: "AOS_WORKERS",
      message:
        "Workers cannot run on Deno Deploy (they run git and sandboxed commands): leave AOS_WORKERS unset or 'false' there and run workers on your own hosts",
    });
  }
  if (onDeploy && !isPostgresUrl(kvPath)) {
    issues.push({
      field: "AOS_KV",
      message:
        `On Deno Deploy AOS_KV must be a postgres:// URL your workers share, got '${
          redactUrl(kvPath)
        }'`,
    });
  }
  const outputTokenParam = read("AOS_OUTPUT_TOKEN_PARAM") ?? "auto";
  if (
    !["auto", "max_completion_tokens", "max_tokens"].includes(outputTokenParam)
  ) {
    issues.push({
      field: "AOS_OUTPUT_TOKEN_PARAM",
      message:
        `Must be one of 'auto', 'max_completion_tokens', 'max_tokens', got '${outputTokenParam}'`,
    });
  }
  const effort = (name: string): string | null => {
    const value = read(name);
    if (value !== null && !/^[a-z]{1,20}$/.test(value)) {
      issues.push({
        field: name,
        message:
          `Must be a reasoning effort such as 'low', 'medium' or 'high', got '${value}'`,
      });
      return null;
    }
    return value;
  };
  const reasoningEffort = effort("AOS_REASONING_EFFORT");
  const seReasoningEffort = effort("AOS_SE_REASONING_EFFORT") ??
    reasoningEffort;
  const poReasoningEffort = effort("AOS_PO_REASONING_EFFORT") ??
    reasoningEffort;
  const maxOutputTokens = integer(
    "AOS_MAX_OUTPUT_TOKENS",
    16_384,
    0,
    1_000_000,
  );
  const git = readGitCredentials(
    read("AOS_GIT_CREDENTIALS"),
    read("GITHUB_TOKEN"),
  );
  for (const message of git.issues) {
    issues.push({ field: "AOS_GIT_CREDENTIALS", message });
  }
  const secrets = readCommandSecrets(read("AOS_SECRETS"));
  for (const message of secrets.issues) {
    issues.push({ field: "AOS_SECRETS", message });
  }
  const hooks = readWebhookConfig(read);
  for (const [field, message] of hooks.issues) issues.push({ field, message });
  const publicUrl = read("AOS_PUBLIC_URL")?.replace(/\/+$/, "") ?? null;
  if (publicUrl !== null && !isHttpUrl(publicUrl)) {
    issues.push({
      field: "AOS_PUBLIC_URL",
      message: `Must be an http(s) URL, got '${redactUrl(publicUrl)}'`,
    });
  }
  const allowedHosts = (env["AOS_ALLOWED_HOSTS"] ?? "").split(",")
    .map((s) => s.trim().toLowerCase().replace(/\.$/, "")).filter((s) =>
      s !== ""
    );
  for (const host of allowedHosts) {
    if (!ALLOWED_HOST.test(host)) {
      issues.push({
        field: "AOS_ALLOWED_HOSTS",
        message:
          `Each entry must be a host name ('aos.example.com'), '*.suffix' or '*' — no scheme, port or path — got '${host}'`,
      });
    }
  }

  // git takes any bytes here, but '<', '>' and line breaks would forge another identity line.
  const identity = (name: string, fallback: string): string => {
    const value = read(name);
    if (value !== null && (/[<>\p{Cc}]/u.test(value) || value.length > 200)) {
      issues.push({
        field: name,
        message:
          `Must be at most 200 characters without '<', '>' or control characters, got '${value}'`,
      });
      return fallback;
    }
    return value ?? fallback;
  };
  const gitAuthor = {
    name: identity("AOS_GIT_AUTHOR_NAME", DEFAULT_GIT_AUTHOR.name),
    email: identity("AOS_GIT_AUTHOR_EMAIL", DEFAULT_GIT_AUTHOR.email),
  };
  const logFormat = read("AOS_LOG_FORMAT") ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    issues.push({
      field: "AOS_LOG_FORMAT",
      message: `Must be 'text' or 'json', got '${logFormat}'`,
    });
  }

  const repoAllowlist = (env["AOS_REPO_ALLOWLIST"] ?? "").split(",")
    .map((s) => s.trim()).filter((s) => s !== "");
  const setupNetwork = read("AOS_SETUP_NETWORK") ?? "isolated";
  if (setupNetwork !== "isolated" && setupNetwork !== "host") {
    issues.push({
      field: "AOS_SETUP_NETWORK",
      message: `Must be 'isolated' or 'host', got '${setupNetwork}'`,
    });
  }
  const port = integer("PORT", 8000, 0, 65535);
  const setupHostPorts = hostPorts(read("AOS_SETUP_HOST_PORTS"), port);
  if (typeof setupHostPorts === "string") {
    issues.push({ field: "AOS_SETUP_HOST_PORTS", message: setupHostPorts });
  }

  const config: Config = {
    openaiApiKey: read("OPENAI_API_KEY"),
    openaiBaseUrl,
    model,
    seModel: read("AOS_SE_MODEL") ?? model,
    poModel: read("AOS_PO_MODEL") ?? model,
    githubToken: read("GITHUB_TOKEN"),
    gitCredentials: git.issues.length > 0
      ? GitCredentials.none
      : git.credentials,
    secrets: secrets.secrets,
    webhook: hooks.webhook,
    publicUrl,
    allowedHosts,
    kvPath,
    workspaceRoot: read("WORKSPACE_ROOT") ?? "/tmp/aos/workspaces",
    port,
    hostname: read("AOS_HOST") ?? "0.0.0.0",
    apiToken: read("AOS_API_TOKEN"),
    sandbox: sandbox as SandboxSetting,
    maxRuns: integer("AOS_MAX_RUNS", 4, 1, 1000),
    repoAllowlist,
    allowLocalRepos: flag("AOS_ALLOW_LOCAL_REPOS", false),
    repoAddresses: {
      allowPrivate: flag("AOS_REPO_ALLOW_PRIVATE", false),
      allowlist: repoAllowlist,
    },
    maxBodyBytes: integer(
      "AOS_MAX_BODY_BYTES",
      2 * 1024 * 1024,
      1024,
      64 * 1024 * 1024,
    ),
    workers,
    runCacheMs: integer("AOS_RUN_CACHE_MS", 25, 0, 60_000),
    modelRetryWindowMs: integer("AOS_MODEL_RETRY_WINDOW_S", 600, 0, 86_400) *
      1000,
    modelTimeoutMs: integer("AOS_MODEL_TIMEOUT_S", 600, 1, 86_400) * 1000,
    modelStream: flag("AOS_MODEL_STREAM", true),
    modelHeartbeatMs: integer(
      "AOS_MODEL_HEARTBEAT_MS",
      10_000,
      50,
      3_600_000,
    ),
    maxOutputTokens: maxOutputTokens > 0 ? maxOutputTokens : null,
    outputTokenParam: outputTokenParam as Config["outputTokenParam"],
    seReasoningEffort,
    poReasoningEffort,
    contextTokens: integer("AOS_CONTEXT_TOKENS", 128_000, 4_000, 10_000_000),
    envCacheBytes: integer("AOS_ENV_CACHE_MB", 10_240, 1, 16_777_216) *
      1024 * 1024,
    workspaceRetentionMs:
      integer("AOS_WORKSPACE_RETENTION_S", 0, 0, 31_536_000) * 1000,
    failedWorkspaceRetentionMs:
      integer("AOS_FAILED_WORKSPACE_RETENTION_S", 86_400, 0, 31_536_000) *
      1000,
    mirrorCacheBytes: integer("AOS_MIRROR_CACHE_MB", 10_240, 1, 16_777_216) *
      1024 * 1024,
    workspaceSweepMs: integer("AOS_WORKSPACE_SWEEP_MS", 60_000, 10, 86_400_000),
    shutdownGraceMs: integer("AOS_SHUTDOWN_GRACE_MS", 30_000, 100, 3_600_000),
    gitAuthor,
    logFormat: logFormat === "json" ? "json" : "text",
    setupHostNetwork: setupNetwork === "host",
    setupHostPorts: typeof setupHostPorts === "string" ? [] : setupHostPorts,
  };
  if (issues.length > 0) throw new ValidationError(issues);
  return config;
}

/** A host name, `*.suffix` or `*`. */
const ALLOWED_HOST =
  /^(?:\*|(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*)(?:\.[a-z0-9_][a-z0-9_-]*)*)$/;

/**
 * AOS_SETUP_HOST_PORTS: comma-separated TCP ports, never the API's own `port`
 * (a setup script would drive the API), or why not.
 */
function hostPorts(raw: string | null, apiPort: number): number[] | string {
  if (raw === null || raw.trim() === "") return [];
  const ports: number[] = [];
  for (const part of raw.split(",").map((p) => p.trim())) {
    const value = /^\d{1,5}$/.test(part) ? Number(part) : NaN;
    if (!(value >= 1 && value <= 65535)) {
      return `Must be comma-separated TCP ports (1-65535), got '${part}'`;
    }
    if (value === apiPort) {
      return `Must not name the API's own port ${apiPort}: setup scripts would reach the API`;
    }
    ports.push(value);
  }
  return ports;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
