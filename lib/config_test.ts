import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws,
} from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { ValidationError } from "./errors.ts";
import { GitCredentials } from "./git/credentials.ts";

Deno.test("loadConfig() applies the documented defaults", () => {
  assertEquals(loadConfig({}), {
    allowLocalRepos: false,
    openaiApiKey: null,
    openaiBaseUrl: null,
    model: "gpt-4.1",
    seModel: "gpt-4.1",
    poModel: "gpt-4.1",
    githubToken: null,
    gitCredentials: GitCredentials.none,
    webhook: null,
    publicUrl: null,
    kvPath: "./.aos/aos.kv",
    workspaceRoot: "/tmp/aos/workspaces",
    port: 8000,
    hostname: "0.0.0.0",
    apiToken: null,
    sandbox: "auto",
    maxRuns: 4,
    repoAllowlist: [],
    maxBodyBytes: 2 * 1024 * 1024,
    workers: true,
    runCacheMs: 25,
    modelRetryWindowMs: 600_000,
    maxOutputTokens: 16_384,
    outputTokenParam: "auto",
    seReasoningEffort: null,
    poReasoningEffort: null,
    contextTokens: 128_000,
    envCacheBytes: 10_240 * 1024 * 1024,
    workspaceRetentionMs: 0,
    failedWorkspaceRetentionMs: 86_400_000,
    mirrorCacheBytes: 10_240 * 1024 * 1024,
    workspaceSweepMs: 60_000,
    shutdownGraceMs: 30_000,
  });
});

Deno.test("loadConfig() reads every variable", () => {
  const config = loadConfig({
    OPENAI_API_KEY: "sk-test",
    OPENAI_BASE_URL: "http://127.0.0.1:9999/v1",
    AOS_MODEL: "m1",
    AOS_PO_MODEL: "m2",
    GITHUB_TOKEN: "ghp_x",
    AOS_KV: ":memory:",
    WORKSPACE_ROOT: "/tmp/ws",
    PORT: "0",
    AOS_HOST: "127.0.0.1",
    AOS_API_TOKEN: "secret",
    AOS_SANDBOX: "none",
    AOS_MAX_RUNS: "8",
    AOS_REPO_ALLOWLIST: " https://github.com/acme/ , ,file:///srv/*",
    AOS_MAX_BODY_BYTES: "4096",
    AOS_ALLOW_LOCAL_REPOS: "yes",
    AOS_WORKERS: "false",
    AOS_RUN_CACHE_MS: "0",
    AOS_MODEL_RETRY_WINDOW_S: "120",
    AOS_MAX_OUTPUT_TOKENS: "0",
    AOS_OUTPUT_TOKEN_PARAM: "max_tokens",
    AOS_REASONING_EFFORT: "medium",
    AOS_SE_REASONING_EFFORT: "high",
    AOS_CONTEXT_TOKENS: "32000",
    AOS_ENV_CACHE_MB: "64",
    AOS_WORKSPACE_RETENTION_S: "60",
    AOS_FAILED_WORKSPACE_RETENTION_S: "3600",
    AOS_MIRROR_CACHE_MB: "512",
    AOS_WORKSPACE_SWEEP_MS: "250",
    AOS_SHUTDOWN_GRACE_MS: "1500",
  });
  const { gitCredentials, ...rest } = config;
  assertEquals(gitCredentials.forHost("github.com")?.token, "ghp_x");
  assertEquals(rest, {
    allowLocalRepos: true,
    webhook: null,
    publicUrl: null,
    openaiApiKey: "sk-test",
    openaiBaseUrl: "http://127.0.0.1:9999/v1",
    model: "m1",
    seModel: "m1",
    poModel: "m2",
    githubToken: "ghp_x",
    kvPath: ":memory:",
    workspaceRoot: "/tmp/ws",
    port: 0,
    hostname: "127.0.0.1",
    apiToken: "secret",
    sandbox: "none",
    maxRuns: 8,
    repoAllowlist: ["https://github.com/acme/", "file:///srv/*"],
    maxBodyBytes: 4096,
    workers: false,
    runCacheMs: 0,
    modelRetryWindowMs: 120_000,
    maxOutputTokens: null,
    outputTokenParam: "max_tokens",
    seReasoningEffort: "high",
    poReasoningEffort: "medium",
    contextTokens: 32_000,
    envCacheBytes: 64 * 1024 * 1024,
    workspaceRetentionMs: 60_000,
    failedWorkspaceRetentionMs: 3_600_000,
    mirrorCacheBytes: 512 * 1024 * 1024,
    workspaceSweepMs: 250,
    shutdownGraceMs: 1500,
  });
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
  [{ AOS_SANDBOX: "foo" }, "AOS_SANDBOX", /'bwrap', 'none', 'auto', got 'foo'/],
  [{ AOS_MAX_RUNS: "0" }, "AOS_MAX_RUNS", /from 1 to/],
  [{ AOS_MAX_RUNS: "2.5" }, "AOS_MAX_RUNS", /got '2.5'/],
  [{ AOS_MAX_BODY_BYTES: "1e6" }, "AOS_MAX_BODY_BYTES", /got '1e6'/],
  [{ AOS_ALLOW_LOCAL_REPOS: "sure" }, "AOS_ALLOW_LOCAL_REPOS", /got 'sure'/],
  [{ AOS_WORKERS: "maybe" }, "AOS_WORKERS", /'true' or 'false'/],
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
