/**
 * Keeps the in-repo eval suite honest: every task's acceptance commands fail
 * on the repository as given, and its reference solution (solution.patch,
 * never part of the repository the agent sees) passes both the acceptance
 * commands and the hidden check, which itself fails on the original.
 * Tasks whose setup downloads packages (eval.yml `network: true`) need the
 * registries: they run with AOS_EVAL_NETWORK=1 and are reported as ignored
 * otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  attemptWorkOrder,
  checkoutResult,
  createTaskRepo,
  type EvalTask,
  loadSuite,
  runHiddenCheck,
} from "../lib/eval/mod.ts";
import { git } from "../lib/git/mod.ts";
import { type CommandRun, runCommand } from "../lib/sandbox/mod.ts";
import type { WorkOrder } from "../lib/work_order/mod.ts";

const SUITE = new URL("./tasks", import.meta.url).pathname;
const suite = await loadSuite(SUITE);
const network = Deno.env.get("AOS_EVAL_NETWORK") === "1";

Deno.test("eval/tasks has at least 12 graded tasks, each with a reference solution, and a quick subset of 4", () => {
  assert.ok(suite.tasks.length >= 12, `${suite.tasks.length} tasks`);
  for (const task of suite.tasks) {
    assert.ok(task.solutionPatch, `${task.name} has no solution.patch`);
    assert.ok(task.spec.difficulty, `${task.name} has no difficulty`);
    assert.ok(task.repoDir, `${task.name} has no repo/ folder`);
  }
  const levels = new Set(suite.tasks.map((t) => t.spec.difficulty));
  assert.deepEqual([...levels].sort(), ["easy", "hard", "medium"]);
  assert.equal(suite.quick.length, 4);
  const quickLevels = suite.tasks.filter((t) => suite.quick.includes(t.name))
    .map((t) => t.spec.difficulty).sort();
  // Three easy, one medium (eval/README.md says why).
  assert.deepEqual(quickLevels, ["easy", "easy", "easy", "medium"]);
});

/** Runs `lines` in `dir` in the sandbox; every result. */
async function runAll(
  lines: string[],
  dir: string,
  workOrder: WorkOrder,
  opts: { network: boolean; timeoutMs: number },
): Promise<CommandRun[]> {
  const runs: CommandRun[] = [];
  for (const command of lines) {
    runs.push(
      await runCommand({
        command,
        cwd: dir,
        env: workOrder.env,
        timeoutMs: opts.timeoutMs,
        mode: "bwrap",
        network: opts.network,
      }),
    );
  }
  return runs;
}

/** Checks out the task's repository into `dir`, with the reference solution applied when `solved`. */
async function checkout(
  task: EvalTask,
  bare: string,
  dir: string,
  solved: boolean,
): Promise<void> {
  await checkoutResult({ repo: bare, branch: "main", dir });
  if (solved) await git(["-C", dir, "apply", task.solutionPatch!]);
}

const show = (runs: CommandRun[]) =>
  runs.map((r) => `$ ${r.command} → ${r.exit_code}\n${r.output}`).join("\n");

for (const task of suite.tasks) {
  Deno.test({
    name:
      `eval task ${task.name}: acceptance and hidden check fail as given, pass with solution.patch`,
    ignore: task.spec.network && !network,
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: `aos_task_${task.name}_` });
      try {
        const bare = join(dir, "repo.git");
        await createTaskRepo({ sourceDir: task.repoDir!, bareDir: bare });
        const workOrder = attemptWorkOrder(task, {
          repo: bare,
          pushBranch: "aos-eval/check",
        });
        const timeoutMs = workOrder.command_timeout_s * 1000;
        // The original and the solved tree are checked side by side.
        await Promise.all([false, true].map(async (solved) => {
          const tree = join(dir, solved ? "solved" : "original");
          await checkout(task, bare, tree, solved);
          const setup = await runAll(
            workOrder.setup_commands,
            tree,
            workOrder,
            {
              network: workOrder.setup_network,
              timeoutMs: workOrder.setup_timeout_s * 1000,
            },
          );
          assert.ok(setup.every((r) => r.exit_code === 0), show(setup));
          const acceptance = await runAll(
            workOrder.acceptance_commands,
            tree,
            workOrder,
            { network: false, timeoutMs },
          );
          const passed = acceptance.every((r) => r.exit_code === 0);
          assert.equal(passed, solved, show(acceptance));
          const checked = join(dir, solved ? "solved-check" : "original-check");
          await checkout(task, bare, checked, solved);
          const hidden = await runHiddenCheck({
            task,
            workOrder,
            checkoutDir: checked,
            mode: "bwrap",
          });
          assert.equal(
            hidden.outcome,
            solved ? "passed" : "failed",
            show(hidden.commands),
          );
        }));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
