/** Service configuration read from the environment (DESIGN §10). */
import { type McpUrlPolicy, parseMcpAllow } from "./mcp/mod.ts";
import { type FieldIssue, ValidationError } from "./errors.ts";
import { redactUrl } from "./redact.ts";
import { SANDBOX_SETTINGS, type SandboxSetting } from "./sandbox/mod.ts";
import {
  allowedHosts,
  effort,
  field,
  flag,
  hostPorts,
  httpUrl,
  identity,
  integer,
  isHttpUrl,
  label,
  list,
  oneOf,
  type Reader,
  testTargets,
  text,
} from "./config_readers.ts";
import type { GitCredentials, RepoAddressPolicy } from "./git/mod.ts";
import {
  DEFAULT_GIT_AUTHOR,
  type GitAuthor,
  readGitCredentials,
} from "./git/mod.ts";
import { isPostgresUrl } from "./store/mod.ts";
import { readWebhookConfig, type WebhookConfig } from "./webhook/mod.ts";
import { otlpTracesUrl, resourceAttributes } from "./telemetry/mod.ts";
import { CommandSecrets, readCommandSecrets } from "./secrets/mod.ts";
import { hostPatternProblem } from "./egress/mod.ts";
import type { TestTarget } from "./egress/mod.ts";

/** How forge triggers start runs. */
export interface TriggerConfig {
  /** AOS_TRIGGER_LABEL (default `aos`): the issue label that starts a run. */
  label: string;
  /** AOS_TRIGGER_ALLOW: authors (`login`, or `host:login` for one host) trusted without write access, lower case. */
  allow: string[];
}

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
  /** Forge triggers (`/triggers/{kind}`): AOS_TRIGGER_LABEL and AOS_TRIGGER_ALLOW. */
  trigger: TriggerConfig;
  /** AOS_SETUP_NETWORK=host: setup commands share the host's network (and loopback) instead of pasta's. */
  setupHostNetwork: boolean;
  /** AOS_SETUP_HOST_PORTS: host loopback ports setup commands may reach (a test rig's package index). */
  setupHostPorts: number[];
  /** AOS_NETWORK_ALLOW_MAX: patterns `network_allow` must stay within (`*` any host); empty: no network for commands. */
  networkAllowMax: string[];
  /** AOS_NETWORK_TEST_TARGETS: hosts the egress proxy sends to a fixed (loopback) address:port — test rigs only. */
  networkTestTargets: TestTarget[];
  /** AOS_METRICS_PUBLIC: serve `/metrics` without the API token. */
  metricsPublic: boolean;
  /**
   * Traces: the OTLP/HTTP traces URL from the standard OpenTelemetry
   * variables (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
   * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), null when tracing is off;
   * OTEL_SERVICE_NAME (default aos) and OTEL_RESOURCE_ATTRIBUTES.
   */
  otel: {
    tracesUrl: string | null;
    serviceName: string;
    resource: Record<string, string>;
  };
  /** AOS_MCP_ALLOW / AOS_MCP_ALLOW_PRIVATE: the hosts a work order's MCP `url` may name (lib/mcp). */
  mcpUrls: McpUrlPolicy;
}

/** Default model when AOS_MODEL is unset. */
export const DEFAULT_MODEL = "gpt-4.1";

/**
 * The variables read as they are, one row each: a new variable is one row
 * here (and a field of Config). Settings that combine variables or depend on
 * another one are made from these in `loadConfig`.
 */
const FIELDS = {
  openaiApiKey: field("OPENAI_API_KEY", text(null)),
  openaiBaseUrl: field("OPENAI_BASE_URL", httpUrl()),
  model: field("AOS_MODEL", text(DEFAULT_MODEL)),
  seModel: field("AOS_SE_MODEL", text(null)),
  poModel: field("AOS_PO_MODEL", text(null)),
  githubToken: field("GITHUB_TOKEN", text(null)),
  gitCredentials: field("AOS_GIT_CREDENTIALS", text(null)),
  secrets: field("AOS_SECRETS", text(null)),
  publicUrl: field("AOS_PUBLIC_URL", httpUrl({ trimSlash: true })),
  allowedHosts: field("AOS_ALLOWED_HOSTS", allowedHosts()),
  kvPath: field("AOS_KV", text("./.aos/aos.kv")),
  workspaceRoot: field("WORKSPACE_ROOT", text("/tmp/aos/workspaces")),
  port: field("PORT", integer(8000, 0, 65535)),
  hostname: field("AOS_HOST", text("0.0.0.0")),
  apiToken: field("AOS_API_TOKEN", text(null)),
  sandbox: field("AOS_SANDBOX", oneOf(SANDBOX_SETTINGS, "auto")),
  maxRuns: field("AOS_MAX_RUNS", integer(4, 1, 1000)),
  repoAllowlist: field("AOS_REPO_ALLOWLIST", list()),
  allowLocalRepos: field("AOS_ALLOW_LOCAL_REPOS", flag(false)),
  allowPrivate: field("AOS_REPO_ALLOW_PRIVATE", flag(false)),
  maxBodyBytes: field(
    "AOS_MAX_BODY_BYTES",
    integer(2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
  ),
  workers: field("AOS_WORKERS", flag(null)),
  runCacheMs: field("AOS_RUN_CACHE_MS", integer(25, 0, 60_000)),
  modelRetryWindowMs: field(
    "AOS_MODEL_RETRY_WINDOW_S",
    integer(600, 0, 86_400, 1000),
  ),
  modelTimeoutMs: field("AOS_MODEL_TIMEOUT_S", integer(600, 1, 86_400, 1000)),
  modelStream: field("AOS_MODEL_STREAM", flag(true)),
  modelHeartbeatMs: field(
    "AOS_MODEL_HEARTBEAT_MS",
    integer(10_000, 50, 3_600_000),
  ),
  maxOutputTokens: field(
    "AOS_MAX_OUTPUT_TOKENS",
    integer(16_384, 0, 1_000_000),
  ),
  outputTokenParam: field(
    "AOS_OUTPUT_TOKEN_PARAM",
    oneOf(["auto", "max_completion_tokens", "max_tokens"], "auto"),
  ),
  reasoningEffort: field("AOS_REASONING_EFFORT", effort()),
  seReasoningEffort: field("AOS_SE_REASONING_EFFORT", effort()),
  poReasoningEffort: field("AOS_PO_REASONING_EFFORT", effort()),
  contextTokens: field(
    "AOS_CONTEXT_TOKENS",
    integer(128_000, 4_000, 10_000_000),
  ),
  envCacheBytes: field(
    "AOS_ENV_CACHE_MB",
    integer(10_240, 1, 16_777_216, 1024 * 1024),
  ),
  workspaceRetentionMs: field(
    "AOS_WORKSPACE_RETENTION_S",
    integer(0, 0, 31_536_000, 1000),
  ),
  failedWorkspaceRetentionMs: field(
    "AOS_FAILED_WORKSPACE_RETENTION_S",
    integer(86_400, 0, 31_536_000, 1000),
  ),
  mirrorCacheBytes: field(
    "AOS_MIRROR_CACHE_MB",
    integer(10_240, 1, 16_777_216, 1024 * 1024),
  ),
  workspaceSweepMs: field(
    "AOS_WORKSPACE_SWEEP_MS",
    integer(60_000, 10, 86_400_000),
  ),
  shutdownGraceMs: field(
    "AOS_SHUTDOWN_GRACE_MS",
    integer(30_000, 100, 3_600_000),
  ),
  gitAuthorName: field(
    "AOS_GIT_AUTHOR_NAME",
    identity(DEFAULT_GIT_AUTHOR.name),
  ),
  gitAuthorEmail: field(
    "AOS_GIT_AUTHOR_EMAIL",
    identity(DEFAULT_GIT_AUTHOR.email),
  ),
  logFormat: field("AOS_LOG_FORMAT", oneOf(["text", "json"], "text")),
  triggerLabel: field("AOS_TRIGGER_LABEL", label("aos")),
  triggerAllow: field(
    "AOS_TRIGGER_ALLOW",
    list({ normalize: (entry) => entry.toLowerCase() }),
  ),
  setupNetwork: field(
    "AOS_SETUP_NETWORK",
    oneOf(["isolated", "host"], "isolated"),
  ),
  setupHostPorts: field("AOS_SETUP_HOST_PORTS", text(null)),
  networkAllowMax: field(
    "AOS_NETWORK_ALLOW_MAX",
    list({
      normalize: (entry) => entry.toLowerCase(),
      problem: (entry) => hostPatternProblem(entry, { any: true }),
    }),
  ),
  networkTestTargets: field("AOS_NETWORK_TEST_TARGETS", text(null)),
  metricsPublic: field("AOS_METRICS_PUBLIC", flag(false)),
  otelServiceName: field("OTEL_SERVICE_NAME", text("aos")),
  deploymentId: field("DENO_DEPLOYMENT_ID", text(null)),
  mcpAllow: field("AOS_MCP_ALLOW", mcpHosts()),
  mcpAllowPrivate: field("AOS_MCP_ALLOW_PRIVATE", flag(false)),
};

/** AOS_MCP_ALLOW: host names and `*.suffix` patterns (lib/mcp/allow.ts), else none. */
function mcpHosts(): Reader<string[]> {
  return ({ value, problem }) => {
    const parsed = parseMcpAllow(value ?? undefined);
    if ("allow" in parsed) return parsed.allow;
    problem(parsed.problem);
    return [];
  };
}

type Settings = {
  [K in keyof typeof FIELDS]: ReturnType<(typeof FIELDS)[K]["read"]>;
};

/** Reads and validates the configuration; throws ValidationError naming each bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Config {
  const issues: FieldIssue[] = [];
  const read = (name: string): string | null => env[name]?.trim() || null;
  const settings = Object.fromEntries(
    Object.entries(FIELDS).map(([key, { env: name, read: reader }]) => [
      key,
      (reader as Reader<unknown>)({
        value: read(name),
        raw: env[name],
        problem: (message) => issues.push({ field: name, message }),
      }),
    ]),
  ) as Settings;
  const s = settings;
  // Deno Deploy sets DENO_DEPLOYMENT_ID. It runs no subprocesses (no git, no
  // bwrap), so a process there serves the API only, and its store must be one
  // the self-hosted workers reach too: a Postgres database (Deploy's own KV
  // is not reachable from outside).
  const onDeploy = s.deploymentId !== null;
  const workers = s.workers ?? !onDeploy;
  if (onDeploy && workers) {
    issues.push({
      field: "AOS_WORKERS",
      message:
        "Workers cannot run on Deno Deploy (they run git and sandboxed commands): leave AOS_WORKERS unset or 'false' there and run workers on your own hosts",
    });
  }
  if (onDeploy && !isPostgresUrl(s.kvPath)) {
    issues.push({
      field: "AOS_KV",
      message:
        `On Deno Deploy AOS_KV must be a postgres:// URL your workers share, got '${
          redactUrl(s.kvPath)
        }'`,
    });
  }
  const git = readGitCredentials(s.gitCredentials, s.githubToken);
  for (const message of git.issues) {
    issues.push({ field: "AOS_GIT_CREDENTIALS", message });
  }
  const secrets = readCommandSecrets(s.secrets);
  for (const message of secrets.issues) {
    issues.push({ field: "AOS_SECRETS", message });
  }
  const hooks = readWebhookConfig(read);
  for (const [field, message] of hooks.issues) issues.push({ field, message });
  const setupHostPorts = hostPorts(s.setupHostPorts, s.port);
  if (typeof setupHostPorts === "string") {
    issues.push({ field: "AOS_SETUP_HOST_PORTS", message: setupHostPorts });
  }
  const networkTestTargets = testTargets(s.networkTestTargets, s.port);
  if (typeof networkTestTargets === "string") {
    issues.push({
      field: "AOS_NETWORK_TEST_TARGETS",
      message: networkTestTargets,
    });
  }
  const tracesUrl = otlpTracesUrl(env);
  if (tracesUrl !== null && !isHttpUrl(tracesUrl)) {
    issues.push({
      field: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
        ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        : "OTEL_EXPORTER_OTLP_ENDPOINT",
      message: `Must be an http(s) URL of an OTLP/HTTP receiver, got '${
        redactUrl(tracesUrl)
      }'`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    openaiApiKey: s.openaiApiKey,
    openaiBaseUrl: s.openaiBaseUrl,
    model: s.model,
    seModel: s.seModel ?? s.model,
    poModel: s.poModel ?? s.model,
    githubToken: s.githubToken,
    gitCredentials: git.credentials,
    secrets: secrets.secrets,
    webhook: hooks.webhook,
    publicUrl: s.publicUrl,
    allowedHosts: s.allowedHosts,
    kvPath: s.kvPath,
    workspaceRoot: s.workspaceRoot,
    port: s.port,
    hostname: s.hostname,
    apiToken: s.apiToken,
    sandbox: s.sandbox,
    maxRuns: s.maxRuns,
    repoAllowlist: s.repoAllowlist,
    allowLocalRepos: s.allowLocalRepos,
    repoAddresses: {
      allowPrivate: s.allowPrivate,
      allowlist: s.repoAllowlist,
    },
    maxBodyBytes: s.maxBodyBytes,
    workers,
    runCacheMs: s.runCacheMs,
    modelRetryWindowMs: s.modelRetryWindowMs,
    modelTimeoutMs: s.modelTimeoutMs,
    modelStream: s.modelStream,
    modelHeartbeatMs: s.modelHeartbeatMs,
    maxOutputTokens: s.maxOutputTokens > 0 ? s.maxOutputTokens : null,
    outputTokenParam: s.outputTokenParam,
    seReasoningEffort: s.seReasoningEffort ?? s.reasoningEffort,
    poReasoningEffort: s.poReasoningEffort ?? s.reasoningEffort,
    contextTokens: s.contextTokens,
    envCacheBytes: s.envCacheBytes,
    workspaceRetentionMs: s.workspaceRetentionMs,
    failedWorkspaceRetentionMs: s.failedWorkspaceRetentionMs,
    mirrorCacheBytes: s.mirrorCacheBytes,
    workspaceSweepMs: s.workspaceSweepMs,
    shutdownGraceMs: s.shutdownGraceMs,
    gitAuthor: { name: s.gitAuthorName, email: s.gitAuthorEmail },
    logFormat: s.logFormat,
    trigger: { label: s.triggerLabel, allow: s.triggerAllow },
    setupHostNetwork: s.setupNetwork === "host",
    setupHostPorts: typeof setupHostPorts === "string" ? [] : setupHostPorts,
    networkAllowMax: s.networkAllowMax,
    networkTestTargets: typeof networkTestTargets === "string"
      ? []
      : networkTestTargets,
    metricsPublic: s.metricsPublic,
    otel: {
      tracesUrl,
      serviceName: s.otelServiceName,
      resource: resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
    },
    mcpUrls: { allow: s.mcpAllow, allowPrivate: s.mcpAllowPrivate },
  };
}
