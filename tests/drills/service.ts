/**
 * A real AOS service for drills, started the way README's start command starts
 * it (`deno run -A --unstable-kv main.ts`) in its own process, with the tests'
 * `serviceEnv` (tests/support/server_process.ts) on a fixed port, laid out like
 * the Dockerfile's: `data/aos.kv` beside `data/workspaces`, credentials and
 * secrets in @files, a home with shell history. As root, or as another user
 * through setpriv (the tree is then that user's).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serviceEnv } from "../support/server_process.ts";
import { userDenoDir } from "../../lib/sandbox/testing.ts";

/** What attacks may use: the service's address and the layout an attacker would guess. */
export interface DrillContext {
  url: string;
  port: number;
  kvPath: string;
  workspaceRoot: string;
  credentialsFile: string;
  secretsFile: string;
  home: string;
  source: string;
  /** The token inside the credentials file. */
  token: string;
  /** Submits a work order (markdown); returns the run id. */
  submit(workOrderMd: string): Promise<string>;
  /** Waits for the run to end; returns its status. */
  waitForEnd(runId: string, timeoutMs?: number): Promise<string>;
  /** A run's status and error. */
  record(runId: string): Promise<{ status: string; error: string | null }>;
  /** An artifact's text, "" when absent. */
  artifact(runId: string, name: string): Promise<string>;
}

/** A running drill service. */
export interface DrillService {
  ctx: DrillContext;
  logs(): string[];
  stop(): Promise<void>;
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return Promise.resolve(port);
}

const SOURCE = fileURLToPath(new URL("../../", import.meta.url));
const END = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** Starts the service under `dir` as `user`; resolves once /readyz answers 200. */
export async function startService(opts: {
  dir: string;
  port: number;
  modelUrl: string;
  user: "root" | number;
}): Promise<DrillService> {
  const { dir, port } = opts;
  const token = `drill-token-${crypto.randomUUID()}`;
  const data = join(dir, "data");
  const home = join(dir, "home");
  const etc = join(dir, "etc");
  for (const d of [data, join(data, "workspaces"), home, etc]) {
    await Deno.mkdir(d, { recursive: true });
  }
  const credentialsFile = join(etc, "creds.json");
  const secretsFile = join(etc, "secrets.json");
  await Deno.writeTextFile(
    credentialsFile,
    JSON.stringify({ "git.drill.example": { token, kind: "gitea" } }),
    { mode: 0o600 },
  );
  await Deno.writeTextFile(
    secretsFile,
    JSON.stringify({ DRILL_SECRET: `drill-secret-${crypto.randomUUID()}` }),
    { mode: 0o600 },
  );
  await Deno.writeTextFile(join(home, ".bash_history"), "psql -p hunter2\n");
  const env = serviceEnv({
    dir,
    kv: join(data, "aos.kv"),
    modelUrl: opts.modelUrl,
    apiKey: "drill-key",
    extra: {
      HOME: home,
      WORKSPACE_ROOT: join(data, "workspaces"),
      PORT: String(port),
      AOS_MODEL: "gpt-4.1-mini",
      AOS_GIT_CREDENTIALS: `@${credentialsFile}`,
      AOS_SECRETS: `@${secretsFile}`,
      DENO_DIR: Deno.env.get("DENO_DIR") ??
        join(Deno.env.get("HOME") ?? "/root", ".cache/deno"),
    },
  });
  let program = Deno.execPath();
  let args = ["run", "-A", "--unstable-kv", "main.ts"];
  if (opts.user !== "root") {
    const uid = opts.user;
    // A Deno cache that user can read (ours, hard-linked), and the tree theirs.
    env.DENO_DIR = await userDenoDir(uid);
    const chown = await new Deno.Command("chown", {
      args: ["-R", `${uid}:${uid}`, dir],
    }).output();
    if (!chown.success) throw new Error(`chown of ${dir} failed`);
    args = [
      `--reuid=${uid}`,
      `--regid=${uid}`,
      "--clear-groups",
      program,
      "run",
      "-A",
      "--unstable-kv",
      "--cached-only",
      "main.ts",
    ];
    program = "setpriv";
  }
  const child = new Deno.Command(program, {
    args,
    cwd: SOURCE,
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n").filter((l) => l !== ""));
    }
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await drained.catch(() => {});
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the service did not start:\n${lines.slice(-30).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const api = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    return { status: res.status, text };
  };
  const ctx: DrillContext = {
    url,
    port,
    kvPath: env.AOS_KV!,
    workspaceRoot: env.WORKSPACE_ROOT!,
    credentialsFile,
    secretsFile,
    home,
    source: SOURCE.replace(/\/$/, ""),
    token,
    async submit(workOrderMd) {
      const res = await api("/runs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ work_order_md: workOrderMd }),
      });
      if (res.status !== 201) {
        throw new Error(`submit answered ${res.status}: ${res.text}`);
      }
      return JSON.parse(res.text).id;
    },
    async waitForEnd(runId, timeoutMs = 300_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const res = await api(`/runs/${runId}`);
        const status = JSON.parse(res.text).status as string;
        if (END.has(status)) return status;
        if (Date.now() > until) throw new Error(`run ${runId} still ${status}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async record(runId) {
      return JSON.parse((await api(`/runs/${runId}`)).text);
    },
    async artifact(runId, name) {
      const res = await api(`/runs/${runId}/artifacts/${name}`);
      return res.status === 200 ? res.text : "";
    },
  };
  return { ctx, logs: () => lines, stop };
}
