/** Runs `main.ts` as a separate process, as `deno task start` would. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { RunRecord } from "../../lib/store/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";

const root = new URL("../..", import.meta.url).pathname;

/** Spawns the service with `env` (stderr piped for `waitForPort`). */
export function startServer(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", `${root}main.ts`],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Reads stderr until the listening line, returning the port; keeps draining after. */
export async function waitForPort(child: Deno.ChildProcess): Promise<number> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server exited before listening:\n${text}`);
    text += value;
    const match = text.match(/listening on http:\/\/[^:]+:(\d+)/);
    if (match) {
      // Keep draining so the child never blocks on a full pipe (and echo it
      // with AOS_TEST_SERVER_LOG=1, to see what a hanging test's server does).
      const echo = Deno.env.get("AOS_TEST_SERVER_LOG") === "1";
      if (echo) console.error(text);
      (async () => {
        try {
          while (true) {
            const { value, done } = await reader.read();
            if (done) break;
            if (echo) console.error(value);
          }
        } catch { /* closed */ }
      })();
      return Number(match[1]);
    }
  }
}

/** What `serviceEnv` needs: where things go and which model answers. */
export interface ServiceEnvOptions {
  /** The test's temp dir (HOME when none is set; `ws` below it is the default WORKSPACE_ROOT). */
  dir: string;
  /** `AOS_KV`: a KV file or a Postgres URL. */
  kv: string;
  /** `OPENAI_BASE_URL` of the scripted model. */
  modelUrl: string;
  /** `OPENAI_API_KEY` handed to the service. */
  apiKey: string;
  /** More variables, overriding the defaults. */
  extra?: Record<string, string>;
}

/**
 * The environment of a spawned service in a test: loopback on port 0, the
 * scripted model, bwrap, and the seeded local bare remote allowed as a repo.
 */
export function serviceEnv(opts: ServiceEnvOptions): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? opts.dir,
    AOS_KV: opts.kv,
    WORKSPACE_ROOT: `${opts.dir}/ws`,
    PORT: "0",
    AOS_HOST: "127.0.0.1",
    OPENAI_API_KEY: opts.apiKey,
    OPENAI_BASE_URL: opts.modelUrl,
    AOS_SANDBOX: "bwrap",
    AOS_ALLOW_LOCAL_REPOS: "true",
    ...opts.extra,
  };
}

/**
 * A service process a test can crash (SIGKILL) and start again, as an
 * operator's supervisor would; `url` follows it to its new port.
 */
export class ServiceProcess {
  #child: Deno.ChildProcess;
  #port: number;
  #exited = false;

  private constructor(child: Deno.ChildProcess, port: number) {
    this.#child = child;
    this.#port = port;
  }

  /** Spawns the service with `env` and waits until it listens. */
  static async start(env: Record<string, string>): Promise<ServiceProcess> {
    const child = startServer(env);
    try {
      return new ServiceProcess(child, await waitForPort(child));
    } catch (error) {
      await child.status;
      throw error;
    }
  }

  /** The service's base URL on loopback. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Ends the process with `signal` (a crash by default) and waits for it to exit. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill(signal);
      } catch { /* already exited */ }
      await this.#child.status;
      this.#exited = true;
    }
  }

  /** Kills the process with SIGKILL and starts a new one with `env`. */
  async restart(env: Record<string, string>): Promise<void> {
    await this.kill();
    const next = await ServiceProcess.start(env);
    this.#child = next.#child;
    this.#port = next.#port;
    this.#exited = false;
  }

  /** Shuts the service down with SIGTERM (a no-op once it has exited). */
  stop(): Promise<void> {
    return this.kill("SIGTERM");
  }
}

/** POSTs a run (JSON fields) to the service at `url`, asserts 201, returns the run id. */
export async function postRun(
  url: string,
  fields: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(`${url}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fields),
  });
  const body = await res.json();
  assertEquals(res.status, 201, JSON.stringify(body));
  return body.id;
}

/** Polls `GET /runs/{id}` on `url` until the run is terminal; throws after `timeoutMs`. */
export async function waitForRunEnd(
  url: string,
  id: string,
  timeoutMs: number,
): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const run: RunRecord = await (await fetch(`${url}/runs/${id}`)).json();
    if (TERMINAL_STATUSES.has(run.status)) return run;
    if (Date.now() > deadline) {
      throw new Error(`Run ${id} still ${run.status} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
