/**
 * The baseline of `deno task bench agent`: mini-swe-agent (PyPI, installed into a venv under
 * ~/.cache/aos-bench) on the tasks of an eval suite, against an OpenAI-compatible endpoint,
 * with the same hidden checks as `aos eval`, written in the same result format
 * (lib/eval/result.ts) so `aos eval --compare` reads both.
 *
 * Per task: the task's repository is made as `aos eval` makes it, cloned into a fresh
 * folder, the work order's setup commands run there, then `mini` (its stock mini.yaml,
 * bash tool over litellm's `openai/<model>`) works in that folder on the work order's text
 * plus its acceptance commands. What it leaves is committed and checked out fresh for the
 * hidden check, which runs only when mini submitted (as AOS's runs only when the PO said
 * PASS): an agent that gave up or ran out of steps has no result to check.
 */
import { join } from "node:path";
import {
  type AttemptResult,
  attemptWorkOrder,
  checkoutResult,
  createTaskRepo,
  emptyAttempt,
  EVAL_RESULT_FORMAT,
  type EvalResult,
  evalResultSchema,
  type EvalTask,
  evalTotals,
  loadSuite,
  machineDescription,
  runHiddenCheck,
} from "../lib/eval/mod.ts";
import { git } from "../lib/git/mod.ts";
import { resolveSandboxMode, type SandboxMode } from "../lib/sandbox/mod.ts";
import type { WorkOrder } from "../lib/work_order/mod.ts";

/** The mini-swe-agent release measured. */
export const MINI_VERSION = "2.4.6";

/** Which mini-swe-agent config a bench runs (MiniEvalOptions.config). */
export type MiniConfig = "mini" | "textbased" | "small";

/** Options of runMiniSweAgentEval(). */
export interface MiniEvalOptions {
  suiteDir: string;
  /** Task folder names to run, in order. */
  tasks: string[];
  /** OpenAI-compatible endpoint, e.g. http://127.0.0.1:8088/v1. */
  baseUrl: string;
  apiKey: string;
  /** The served model's name (litellm gets `openai/<model>`). */
  model: string;
  /** Model calls mini may make per task. */
  stepLimit: number;
  /** Seconds mini may take per task. */
  wallTimeS: number;
  /**
   * mini's config: `mini` (its stock mini.yaml: a `bash` tool call), `textbased`
   * (its stock mini_textbased.yaml: one ```mswea_bash_command block per reply) or
   * `small` (mini_textbased.yaml with bench/mini_small.yaml's short prompts over it).
   * Default `textbased`.
   */
  config?: MiniConfig;
  /** Folder for trajectories (kept) and logs. */
  outDir: string;
  log?: (line: string) => void;
}

/** Installs mini-swe-agent into its venv once; returns the venv's python. */
export async function installMiniSweAgent(): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/root";
  const venv = join(
    home,
    ".cache",
    "aos-bench",
    `mini-swe-agent-${MINI_VERSION}`,
  );
  const python = join(venv, "bin", "python");
  // On a fresh machine the venv's python does not exist: spawning it throws at once.
  const ok = await Promise.resolve().then(() =>
    new Deno.Command(python, {
      args: ["-c", "import minisweagent"],
      stdout: "null",
      stderr: "null",
    }).output()
  ).then((o) => o.success, () => false);
  if (ok) return python;
  await run("python3", ["-m", "venv", venv]);
  await run(join(venv, "bin", "pip"), [
    "install",
    "-qq",
    `mini-swe-agent==${MINI_VERSION}`,
  ]);
  return python;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${text.slice(-2000)}`);
  }
  return text;
}

/** The task as mini reads it: the work order's text and the commands that must pass. */
export function miniTaskText(workOrder: WorkOrder): string {
  const commands = workOrder.acceptance_commands ?? [];
  const rules = [
    ...(workOrder.forbidden_paths?.length
      ? [`Do not change these paths: ${workOrder.forbidden_paths.join(", ")}.`]
      : []),
  ];
  return [
    workOrder.title ? `# ${workOrder.title}\n` : "",
    workOrder.task.trim(),
    commands.length > 0
      ? `\nThe task is done when these commands pass in the repository root:\n${
        commands.map((c) => `    ${c}`).join("\n")
      }`
      : "",
    ...rules,
  ].filter((s) => s !== "").join("\n");
}

interface Trajectory {
  info?: { exit_status?: string; model_stats?: { api_calls?: number } };
  messages?: {
    extra?: {
      response?: {
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
    };
  }[];
}

/** Tokens and calls counted from a trajectory's saved responses. */
export function trajectoryUsage(traj: Trajectory): {
  prompt: number;
  completion: number;
  calls: number;
} {
  let prompt = 0, completion = 0, calls = 0;
  for (const m of traj.messages ?? []) {
    const usage = m.extra?.response?.usage;
    if (!usage) continue;
    calls++;
    prompt += usage.prompt_tokens ?? 0;
    completion += usage.completion_tokens ?? 0;
  }
  return { prompt, completion, calls };
}

/** Runs mini-swe-agent on `opts.tasks`; returns the result in the eval format. */
export async function runMiniSweAgentEval(
  opts: MiniEvalOptions,
): Promise<EvalResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const python = await installMiniSweAgent();
  const suite = await loadSuite(opts.suiteDir);
  const mode = await resolveSandboxMode(
    (Deno.env.get("AOS_SANDBOX") as "bwrap" | "none" | undefined) ?? "auto",
  );
  await Deno.mkdir(opts.outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const attempts: AttemptResult[] = [];
  for (const name of opts.tasks) {
    const task = suite.tasks.find((t) => t.name === name);
    if (!task) throw new Error(`No task "${name}" in ${opts.suiteDir}`);
    const result = await runTask({ ...opts, python, mode, task });
    log(
      `mini-swe-agent ${name}: ${result.status}, hidden check ${result.hidden_check}, ` +
        `${result.prompt_tokens} prompt tokens, ${result.wall_s.toFixed(0)} s`,
    );
    attempts.push(result);
  }
  return evalResultSchema.parse({
    format: EVAL_RESULT_FORMAT,
    runner: `mini-swe-agent ${MINI_VERSION}`,
    suite: opts.suiteDir,
    tasks: opts.tasks,
    models: { model: opts.model, se_model: null, po_model: null },
    options: {
      repeat: 1,
      concurrency: 1,
      quick: false,
      timeout_s: opts.wallTimeS,
    },
    machine: machineDescription(),
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    attempts,
    totals: evalTotals(attempts),
  });
}

async function runTask(
  opts: MiniEvalOptions & { python: string; mode: SandboxMode; task: EvalTask },
): Promise<AttemptResult> {
  const { task } = opts;
  const dir = await Deno.makeTempDir({ prefix: `aos-mini-${task.name}-` });
  const result = emptyAttempt(task.name, 1, opts.model);
  try {
    const bare = join(dir, "repo.git");
    const work = join(dir, "work");
    if (task.repoDir) {
      await createTaskRepo({ sourceDir: task.repoDir, bareDir: bare });
    }
    const workOrder = attemptWorkOrder(task, {
      repo: task.repoDir ? bare : null,
      pushBranch: "mini/result",
    });
    await git(["clone", "--quiet", "--", workOrder.repo, work]);
    for (const command of workOrder.setup_commands ?? []) {
      await run("bash", ["-c", command], work);
    }
    const config = join(dir, "mini.override.yaml");
    // JSON is YAML: one file with the endpoint, the folder and the limits.
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        model: {
          model_name: `openai/${opts.model}`,
          ...(opts.config === "mini"
            ? {}
            : { model_class: "litellm_textbased" }),
          model_kwargs: {
            api_base: opts.baseUrl,
            api_key: opts.apiKey,
            drop_params: true,
            // AOS sends the same cap (AOS_MAX_OUTPUT_TOKENS in the bench).
            max_tokens: 1024,
            timeout: opts.wallTimeS,
          },
          cost_tracking: "ignore_errors",
        },
        environment: {
          cwd: work,
          timeout: workOrder.command_timeout_s ?? 120,
          env: workOrder.env ?? {},
        },
        agent: {
          step_limit: opts.stepLimit,
          cost_limit: 0,
          wall_time_limit_seconds: opts.wallTimeS,
        },
      }),
    );
    const trajPath = join(opts.outDir, `${task.name}.traj.json`);
    const started = performance.now();
    const out = await new Deno.Command(opts.python, {
      args: [
        "-m",
        "minisweagent.run.mini",
        "-c",
        opts.config === "mini" ? "mini.yaml" : "mini_textbased.yaml",
        ...(opts.config === "small"
          ? ["-c", new URL("./mini_small.yaml", import.meta.url).pathname]
          : []),
        "-c",
        config,
        "--agent-class",
        "default",
        "--exit-immediately",
        "-t",
        miniTaskText(workOrder),
        "-o",
        trajPath,
      ],
      cwd: work,
      env: {
        MSWEA_CONFIGURED: "true",
        MSWEA_GLOBAL_CONFIG_DIR: join(dir, "mini-config"),
        MSWEA_COST_TRACKING: "ignore_errors",
        LITELLM_LOCAL_MODEL_COST_MAP: "True",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    result.wall_s = (performance.now() - started) / 1000;
    await Deno.writeFile(
      join(opts.outDir, `${task.name}.log`),
      new Uint8Array([...out.stdout, ...out.stderr]),
    );
    const traj = JSON.parse(
      await Deno.readTextFile(trajPath).catch(() => "{}"),
    ) as Trajectory;
    const usage = trajectoryUsage(traj);
    result.prompt_tokens = usage.prompt;
    result.completion_tokens = usage.completion;
    result.model_calls = traj.info?.model_stats?.api_calls ?? usage.calls;
    const exit = traj.info?.exit_status || (out.success ? "" : "crashed");
    result.status = exit === "Submitted" ? "SUCCEEDED" : "FAILED";
    result.claimed_pass = exit === "Submitted";
    if (!result.claimed_pass) {
      result.error = `mini exited: ${exit || "no trajectory"}`;
      return result;
    }
    // What mini left in the folder is its result, committed like AOS commits a PASS.
    const env = {
      GIT_AUTHOR_NAME: "mini",
      GIT_AUTHOR_EMAIL: "mini@aos.invalid",
      GIT_COMMITTER_NAME: "mini",
      GIT_COMMITTER_EMAIL: "mini@aos.invalid",
    };
    await git(["-C", work, "checkout", "--quiet", "-B", "mini/result"]);
    await git(["-C", work, "add", "--all", "."], { env });
    await git([
      "-C",
      work,
      "commit",
      "--quiet",
      "--no-verify",
      "--allow-empty",
      "-m",
      "mini",
    ], {
      env,
    });
    const checkoutDir = join(dir, "checkout");
    await checkoutResult({
      repo: work,
      branch: "mini/result",
      dir: checkoutDir,
    });
    const report = await runHiddenCheck({
      task,
      workOrder,
      checkoutDir,
      mode: opts.mode,
    });
    result.hidden_check = report.outcome;
    result.hidden_check_detail = report.detail;
    return result;
  } catch (error) {
    result.error = (error as Error).message.slice(0, 2000);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
