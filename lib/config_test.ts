import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import { type Config, loadConfig } from "./config.ts";
import { ValidationError } from "./errors.ts";
import { GitCredentials } from "./git/mod.ts";
import { CommandSecrets } from "./secrets/mod.ts";

/**
 * Each setting: the variable, a value to set it to, the config field, the
 * documented default and what the value reads as. A field another variable
 * derives (seModel from AOS_MODEL) has no variable of its own.
 */
const SETTINGS: [string | null, string, keyof Config, unknown, unknown][] = [
  ["OPENAI_API_KEY", "sk-test", "openaiApiKey", null, "sk-test"],
  [
    "OPENAI_BASE_URL",
    "http://127.0.0.1:9999/v1",
    "openaiBaseUrl",
    null,
    "http://127.0.0.1:9999/v1",
  ],
  ["AOS_MODEL", "m1", "model", "gpt-4.1", "m1"],
  [null, "", "seModel", "gpt-4.1", "m1"],
  ["AOS_PO_MODEL", "m2", "poModel", "gpt-4.1", "m2"],
  ["GITHUB_TOKEN", "ghp_x", "githubToken", null, "ghp_x"],
  [null, "", "webhook", null, null],
  [null, "", "publicUrl", null, null],
  [
    "AOS_ALLOWED_HOSTS",
    " AOS.example.com. , *.internal,",
    "allowedHosts",
    [],
    ["aos.example.com", "*.internal"],
  ],
  ["AOS_KV", ":memory:", "kvPath", "./.aos/aos.kv", ":memory:"],
  [
    "WORKSPACE_ROOT",
    "/tmp/ws",
    "workspaceRoot",
    "/tmp/aos/workspaces",
    "/tmp/ws",
  ],
  ["PORT", "0", "port", 8000, 0],
  ["AOS_HOST", "127.0.0.1", "hostname", "0.0.0.0", "127.0.0.1"],
  ["AOS_API_TOKEN", "secret", "apiToken", null, "secret"],
  ["AOS_SANDBOX", "none", "sandbox", "auto", "none"],
  ["AOS_MAX_RUNS", "8", "maxRuns", 4, 8],
  [
    "AOS_REPO_ALLOWLIST",
    " https://github.com/acme/ , ,file:///srv/*",
    "repoAllowlist",
    [],
    ["https://github.com/acme/", "file:///srv/*"],
  ],
  [
    "AOS_REPO_ALLOW_PRIVATE",
    "true",
    "repoAddresses",
    { allowPrivate: false, allowlist: [] },
    {
      allowPrivate: true,
      allowlist: ["https://github.com/acme/", "file:///srv/*"],
    },
  ],
  ["AOS_MAX_BODY_BYTES", "4096", "maxBodyBytes", 2 * 1024 * 1024, 4096],
  ["AOS_ALLOW_LOCAL_REPOS", "yes", "allowLocalRepos", false, true],
  ["AOS_WORKERS", "false", "workers", true, false],
  ["AOS_RUN_CACHE_MS", "0", "runCacheMs", 25, 0],
  ["AOS_MODEL_RETRY_WINDOW_S", "120", "modelRetryWindowMs", 600_000, 120_000],
  ["AOS_MODEL_TIMEOUT_S", "1800", "modelTimeoutMs", 600_000, 1_800_000],
  ["AOS_MODEL_STREAM", "false", "modelStream", true, false],
  ["AOS_MODEL_HEARTBEAT_MS", "500", "modelHeartbeatMs", 10_000, 500],
  ["AOS_MAX_OUTPUT_TOKENS", "0", "maxOutputTokens", 16_384, null],
  [
    "AOS_OUTPUT_TOKEN_PARAM",
    "max_tokens",
    "outputTokenParam",
    "auto",
    "max_tokens",
  ],
  ["AOS_REASONING_EFFORT", "medium", "poReasoningEffort", null, "medium"],
  ["AOS_SE_REASONING_EFFORT", "high", "seReasoningEffort", null, "high"],
  ["AOS_CONTEXT_TOKENS", "32000", "contextTokens", 128_000, 32_000],
  [
    "AOS_ENV_CACHE_MB",
    "64",
    "envCacheBytes",
    10_240 * 1024 * 1024,
    64 * 1024 * 1024,
  ],
  ["AOS_WORKSPACE_RETENTION_S", "60", "workspaceRetentionMs", 0, 60_000],
  [
    "AOS_FAILED_WORKSPACE_RETENTION_S",
    "3600",
    "failedWorkspaceRetentionMs",
    86_400_000,
    3_600_000,
  ],
  [
    "AOS_MIRROR_CACHE_MB",
    "512",
    "mirrorCacheBytes",
    10_240 * 1024 * 1024,
    512 * 1024 * 1024,
  ],
  ["AOS_WORKSPACE_SWEEP_MS", "250", "workspaceSweepMs", 60_000, 250],
  ["AOS_SHUTDOWN_GRACE_MS", "1500", "shutdownGraceMs", 30_000, 1500],
  // Two variables, one field: both rows name the whole value.
  [
    "AOS_GIT_AUTHOR_NAME",
    "Robo Coder",
    "gitAuthor",
    { name: "AOS", email: "aos@localhost" },
    { name: "Robo Coder", email: "robo@example.com" },
  ],
  [
    "AOS_GIT_AUTHOR_EMAIL",
    "robo@example.com",
    "gitAuthor",
    { name: "AOS", email: "aos@localhost" },
    { name: "Robo Coder", email: "robo@example.com" },
  ],
  ["AOS_LOG_FORMAT", "json", "logFormat", "text", "json"],
  // Two variables, one field.
  [
    "AOS_TRIGGER_LABEL",
    "ai",
    "trigger",
    { label: "aos", allow: [] },
    { label: "ai", allow: ["maria", "git.example.com:bob"] },
  ],
  [
    "AOS_TRIGGER_ALLOW",
    " Maria, git.example.com:bob ,",
    "trigger",
    { label: "aos", allow: [] },
    { label: "ai", allow: ["maria", "git.example.com:bob"] },
  ],
  ["AOS_SETUP_NETWORK", "host", "setupHostNetwork", false, true],
  ["AOS_SETUP_HOST_PORTS", "3141, 4873", "setupHostPorts", [], [3141, 4873]],
  [
    "AOS_NETWORK_ALLOW_MAX",
    "pypi.org, *.PythonHosted.org",
    "networkAllowMax",
    [],
    ["pypi.org", "*.pythonhosted.org"],
  ],
  [
    "AOS_NETWORK_TEST_TARGETS",
    "origin.test=127.0.0.1:8081",
    "networkTestTargets",
    [],
    [{ host: "origin.test", address: "127.0.0.1", port: 8081 }],
  ],
  ["AOS_METRICS_PUBLIC", "true", "metricsPublic", false, true],
  // Three standard OpenTelemetry variables, one field.
  [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "http://127.0.0.1:4318/",
    "otel",
    { tracesUrl: null, serviceName: "aos", resource: {} },
    {
      tracesUrl: "http://127.0.0.1:4318/v1/traces",
      serviceName: "aos-eu",
      resource: { "deployment.environment": "prod eu" },
    },
  ],
  [
    "OTEL_SERVICE_NAME",
    "aos-eu",
    "otel",
    { tracesUrl: null, serviceName: "aos", resource: {} },
    {
      tracesUrl: "http://127.0.0.1:4318/v1/traces",
      serviceName: "aos-eu",
      resource: { "deployment.environment": "prod eu" },
    },
  ],
  [
    "OTEL_RESOURCE_ATTRIBUTES",
    "deployment.environment=prod%20eu",
    "otel",
    { tracesUrl: null, serviceName: "aos", resource: {} },
    {
      tracesUrl: "http://127.0.0.1:4318/v1/traces",
      serviceName: "aos-eu",
      resource: { "deployment.environment": "prod eu" },
    },
  ],
  // Two variables make one field: both rows name the same result.
  ["AOS_MCP_ALLOW", "MCP.example.com, *.tools.example", "mcpUrls", {
    allow: [],
    allowPrivate: false,
  }, { allow: ["mcp.example.com", "*.tools.example"], allowPrivate: true }],
  ["AOS_MCP_ALLOW_PRIVATE", "true", "mcpUrls", {
    allow: [],
    allowPrivate: false,
  }, { allow: ["mcp.example.com", "*.tools.example"], allowPrivate: true }],
];

Deno.test("loadConfig() applies the documented defaults", () => {
  assertEquals(loadConfig({}), {
    ...Object.fromEntries(
      SETTINGS.map(([, , field, byDefault]) => [field, byDefault]),
    ),
    gitCredentials: GitCredentials.none,
    secrets: CommandSecrets.none,
  });
});

Deno.test("loadConfig() reads every variable", () => {
  const config = loadConfig({
    ...Object.fromEntries(
      SETTINGS.flatMap(([name, value]) => name === null ? [] : [[name, value]]),
    ),
    AOS_SECRETS: '{"NPM_TOKEN": "npm-token-value"}',
  });
  const { gitCredentials, secrets, ...rest } = config;
  assertEquals(gitCredentials.forHost("github.com")?.token, "ghp_x");
  assertEquals(secrets.env(["NPM_TOKEN"]), { NPM_TOKEN: "npm-token-value" });
  assertEquals(
    rest,
    Object.fromEntries(SETTINGS.map(([, , field, , read]) => [field, read])),
  );
});

Deno.test("loadConfig() treats empty variables as unset", () => {
  const config = loadConfig({
    AOS_API_TOKEN: "",
    PORT: " ",
    OPENAI_API_KEY: "",
  });
  assertEquals([config.apiToken, config.port, config.openaiApiKey], [
    null,
    8000,
    null,
  ]);
});

const bad: [Record<string, string>, string, RegExp][] = [
  [{ PORT: "abc" }, "PORT", /integer from 0 to 65535, got 'abc'/],
  [{ PORT: "70000" }, "PORT", /got '70000'/],
  [{ PORT: "-1" }, "PORT", /got '-1'/],
  [
    { AOS_NETWORK_ALLOW_MAX: "https://pypi.org" },
    "AOS_NETWORK_ALLOW_MAX",
    /no scheme, port, path/,
  ],
  [
    { AOS_NETWORK_ALLOW_MAX: "*.com" },
    "AOS_NETWORK_ALLOW_MAX",
    /every host of a top-level domain/,
  ],
  [
    { AOS_NETWORK_TEST_TARGETS: "origin.test:8080" },
    "AOS_NETWORK_TEST_TARGETS",
    /host=address:port/,
  ],
  [
    { AOS_NETWORK_TEST_TARGETS: "api.test=127.0.0.1:8000" },
    "AOS_NETWORK_TEST_TARGETS",
    /not name the API's own port 8000/,
  ],
  [{ AOS_SANDBOX: "foo" }, "AOS_SANDBOX", /'bwrap', 'none', 'auto', got 'foo'/],
  [{ AOS_MAX_RUNS: "0" }, "AOS_MAX_RUNS", /from 1 to/],
  [{ AOS_MAX_RUNS: "2.5" }, "AOS_MAX_RUNS", /got '2.5'/],
  [{ AOS_MAX_BODY_BYTES: "1e6" }, "AOS_MAX_BODY_BYTES", /got '1e6'/],
  [{ AOS_ALLOW_LOCAL_REPOS: "sure" }, "AOS_ALLOW_LOCAL_REPOS", /got 'sure'/],
  [{ AOS_WORKERS: "maybe" }, "AOS_WORKERS", /'true' or 'false'/],
  [
    { AOS_METRICS_PUBLIC: "yes please" },
    "AOS_METRICS_PUBLIC",
    /'true' or 'false'/,
  ],
  [
    { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" },
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    /http\(s\) URL of an OTLP\/HTTP receiver, got 'collector:4318\/v1\/traces'/,
  ],
  [
    { AOS_GIT_AUTHOR_EMAIL: "a@b>\nauthor Evil <e@x" },
    "AOS_GIT_AUTHOR_EMAIL",
    /without '<', '>' or control characters/,
  ],
  [{ AOS_LOG_FORMAT: "xml" }, "AOS_LOG_FORMAT", /'text' or 'json', got 'xml'/],
  [
    { AOS_ALLOWED_HOSTS: "ok.example, https://aos.example.com" },
    "AOS_ALLOWED_HOSTS",
    /no scheme, port or path — got 'https:\/\/aos.example.com'/,
  ],
  [{ AOS_ALLOWED_HOSTS: "aos.example:8000" }, "AOS_ALLOWED_HOSTS", /port/],
  [{ OPENAI_BASE_URL: "ftp://x" }, "OPENAI_BASE_URL", /http\(s\) URL/],
  [
    { AOS_OUTPUT_TOKEN_PARAM: "max" },
    "AOS_OUTPUT_TOKEN_PARAM",
    /'max_completion_tokens', 'max_tokens', got 'max'/,
  ],
  [
    { AOS_REASONING_EFFORT: "very high" },
    "AOS_REASONING_EFFORT",
    /got 'very high'/,
  ],
  [{ AOS_CONTEXT_TOKENS: "100" }, "AOS_CONTEXT_TOKENS", /from 4000 to/],
  [{ AOS_MODEL_RETRY_WINDOW_S: "1m" }, "AOS_MODEL_RETRY_WINDOW_S", /got '1m'/],
  [
    { AOS_SETUP_NETWORK: "shared" },
    "AOS_SETUP_NETWORK",
    /'isolated' or 'host'/,
  ],
  [{ AOS_SETUP_HOST_PORTS: "80,x" }, "AOS_SETUP_HOST_PORTS", /got 'x'/],
  [
    { AOS_SETUP_HOST_PORTS: "3141,8000" },
    "AOS_SETUP_HOST_PORTS",
    /not name the API's own port 8000/,
  ],
  [
    { AOS_MCP_ALLOW: "ok.example, https://mcp.example/x" },
    "AOS_MCP_ALLOW",
    /Entry 'https:\/\/mcp.example\/x' is not a host name/,
  ],
  [
    { AOS_MCP_ALLOW_PRIVATE: "perhaps" },
    "AOS_MCP_ALLOW_PRIVATE",
    /got 'perhaps'/,
  ],
  [
    { AOS_SHUTDOWN_GRACE_MS: "50" },
    "AOS_SHUTDOWN_GRACE_MS",
    /from 100 to 3600000, got '50'/,
  ],
];
for (const [env, field, message] of bad) {
  Deno.test(`loadConfig() rejects ${JSON.stringify(env)} naming ${field}`, () => {
    throws(() => loadConfig(env), (error: unknown) => {
      assert(error instanceof ValidationError);
      assertEquals(error.issues.map((i) => i.field), [field]);
      assert(message.test(error.issues[0]!.message), error.issues[0]!.message);
      return true;
    });
  });
}

Deno.test("loadConfig() reports every bad variable at once without leaking URL credentials", () => {
  throws(
    () =>
      loadConfig({
        PORT: "x",
        AOS_SANDBOX: "y",
        OPENAI_BASE_URL: "ftp://u:pw@h/",
      }),
    (error: unknown) => {
      assert(error instanceof ValidationError);
      assertEquals(error.issues.map((i) => i.field).sort(), [
        "AOS_SANDBOX",
        "OPENAI_BASE_URL",
        "PORT",
      ]);
      assert(!error.message.includes("pw"), error.message);
      return true;
    },
  );
});
