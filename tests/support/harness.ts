/**
 * End-to-end test harness: a temp dir, a seeded git repository with a bare
 * "remote", the scripted OpenAI-compatible model over HTTP, and a real AOS
 * service on a loopback port. Everything is torn down after the test.
 */
import { loadConfig } from "../../lib/config.ts";
import type { RunRecord } from "../../lib/store/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import { type Service, startService } from "../../main.ts";
import { testKvPath } from "../../lib/store/testing.ts";
import { type ModelScript, startScriptedModel } from "../../lib/llm/testing.ts";
import { runCommand, writeFiles } from "../../lib/workspace/testing.ts";

/** The fake API key the service is given; tests assert it never leaks. */
export const TEST_API_KEY = "sk-test-SECRET-4f9a2c7e1b";
/** The fake GitHub token the service is given; tests assert it never leaks. */
export const TEST_GITHUB_TOKEN = "ghp_TESTSECRET0123456789abcdefABCDEF0123";

/** What a test gets. */
export interface Harness {
  dir: string;
  /** The service's `AOS_KV` (a file in `dir`, or a Postgres schema with `AOS_TEST_KV`). */
  kvPath: string;
  /** Path of the bare remote; usable as a work order's `repo`. */
  remote: string;
  model: Awaited<ReturnType<typeof startScriptedModel>>;
  svc: Service;
  /** Environment that points the CLI at this service. */
  cliEnv: Record<string, string>;
  /** The service's log lines so far. */
  logs: string[];
  /** POSTs a work order (markdown) and returns the created run. */
  submit(
    workOrderMd: string,
    headers?: Record<string, string>,
  ): Promise<RunRecord>;
  /** Polls until the run is terminal (or `timeoutMs`). */
  waitForEnd(runId: string, timeoutMs?: number): Promise<RunRecord>;
  /** Contents of `path` on `branch` of the remote, or null when absent. */
  remoteFile(branch: string, path: string): Promise<string | null>;
  /** File paths on `branch` of the remote, or null when the branch does not exist. */
  remoteTree(branch: string): Promise<string[] | null>;
  /** Builds a work order for the harness repo. */
  workOrder(fields: Record<string, unknown>, task?: string): string;
}

/** Options of `withHarness`. */
export interface HarnessOptions {
  script?: ModelScript;
  env?: Record<string, string>;
  /** Files of the seeded repository (default: README.md and calculator stub). */
  files?: Record<string, string>;
  /** Awaited before the scripted model answers an agent's n-th request (1-based). */
  beforeModelReply?: (
    h: Harness,
    agent: "se" | "po",
    n: number,
  ) => Promise<void> | void;
}

/** Runs a git command and returns its stdout; throws with stderr on failure. */
export function git(cwd: string, ...args: string[]): Promise<string> {
  return runCommand("git", ["-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    env: {
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@example.com",
    },
  });
}

/** A run's JSON artifact, parsed. */
export async function artifactJson(
  h: Harness,
  runId: string,
  name: string,
): Promise<Record<string, unknown>> {
  const { body } = await h.svc.store.getArtifact(runId, name);
  return JSON.parse(new TextDecoder().decode(body));
}

/** Creates a repo with `files` on `main` and a bare remote it is pushed to. */
export async function seedRepo(
  dir: string,
  files: Record<string, string>,
): Promise<string> {
  const work = `${dir}/seed`;
  const remote = `${dir}/remote.git`;
  await Deno.mkdir(work, { recursive: true });
  await git(dir, "init", "--bare", "-b", "main", remote);
  await git(work, "init", "-b", "main");
  await writeFiles(work, files);
  await git(work, "add", "-A");
  await git(work, "commit", "-m", "seed");
  await git(work, "remote", "add", "origin", remote);
  await git(work, "push", "origin", "main");
  return remote;
}

const DEFAULT_FILES: Record<string, string> = {
  "README.md": "# Demo\n\nA tiny repository for AOS tests.\n",
  "calculator.py": "# TODO: implement\n",
};

/** Sets up everything, runs `fn`, tears everything down. */
export async function withHarness(
  opts: HarnessOptions,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aos_e2e_" });
  let harness: Harness | null = null;
  const model = await startScriptedModel(opts.script ?? { se: [], po: [] }, {
    apiKey: TEST_API_KEY,
    ...(opts.beforeModelReply
      ? {
        beforeReply: (agent: "se" | "po", n: number) =>
          harness ? opts.beforeModelReply?.(harness, agent, n) : undefined,
      }
      : {}),
  });
  let svc: Service | null = null;
  const kvStore = await testKvPath(dir);
  try {
    const remote = await seedRepo(dir, opts.files ?? DEFAULT_FILES);
    const env: Record<string, string> = {
      AOS_KV: kvStore.path,
      WORKSPACE_ROOT: `${dir}/workspaces`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      OPENAI_API_KEY: TEST_API_KEY,
      OPENAI_BASE_URL: model.url,
      GITHUB_TOKEN: TEST_GITHUB_TOKEN,
      AOS_SANDBOX: "bwrap",
      AOS_MODEL: "gpt-4.1-mini",
      // The seeded repository is a local bare remote.
      AOS_ALLOW_LOCAL_REPOS: "true",
      ...opts.env,
    };
    const logs: string[] = [];
    svc = await startService({
      config: loadConfig(env),
      log: (l) => logs.push(l),
    });
    const service = svc;
    const authHeaders: Record<string, string> = env.AOS_API_TOKEN
      ? { authorization: `Bearer ${env.AOS_API_TOKEN}` }
      : {};
    const h: Harness = {
      dir,
      kvPath: kvStore.path,
      remote,
      model,
      svc: service,
      logs,
      cliEnv: {
        AOS_URL: service.url,
        NO_COLOR: "1",
        ...(env.AOS_API_TOKEN ? { AOS_API_TOKEN: env.AOS_API_TOKEN } : {}),
      },
      async submit(workOrderMd, headers = {}) {
        const res = await fetch(`${service.url}/runs`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...authHeaders,
            ...headers,
          },
          body: JSON.stringify({ work_order_md: workOrderMd }),
        });
        const body = await res.json();
        if (res.status !== 201 && res.status !== 200) {
          throw new Error(
            `Submit failed with ${res.status}: ${JSON.stringify(body)}`,
          );
        }
        return body as RunRecord;
      },
      async waitForEnd(runId, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        while (true) {
          const run = await service.store.getRun(runId);
          if (TERMINAL_STATUSES.has(run.status)) return run;
          if (Date.now() > deadline) {
            throw new Error(
              `Run ${runId} still ${run.status} after ${timeoutMs} ms`,
            );
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async remoteFile(branch, path) {
        try {
          return await git(
            dir,
            "--git-dir",
            remote,
            "show",
            `${branch}:${path}`,
          );
        } catch {
          return null;
        }
      },
      async remoteTree(branch) {
        try {
          const out = await git(
            dir,
            "--git-dir",
            remote,
            "ls-tree",
            "-r",
            "--name-only",
            branch,
          );
          return out.split("\n").filter(Boolean).sort();
        } catch {
          return null;
        }
      },
      workOrder(fields, task = "Do the task.") {
        const lines = Object.entries({ repo: remote, ...fields }).map(
          ([key, value]) => `${key}: ${JSON.stringify(value)}`,
        );
        return `---\n${lines.join("\n")}\n---\n\n${task}\n`;
      },
    };
    harness = h;
    await fn(h);
  } finally {
    await svc?.close();
    await kvStore.drop();
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
