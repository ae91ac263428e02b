import { networkAllowFor } from "../support/network_allow.ts";
import { defineActor } from "../../runtime/mod.ts";
import { loadInstructions } from "../../lib/agents/mod.ts";
import {
  commitAndPush,
  diffWorkspace,
  prepareWorkspace,
} from "../../lib/workspace/mod.ts";
import {
  SetupFailedError,
  type SetupOutcome,
} from "../../lib/environment/mod.ts";
import { digestOutput, runCommand } from "../../lib/sandbox/mod.ts";
import { choosePushTarget, GitError } from "../../lib/git/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { ARTIFACT } from "../../lib/factory/mod.ts";
import { failRunOnDeadLetter, reportingFailure } from "../support/child.ts";
import { type Station, station } from "../support/station.ts";
import { type ToolRunnerMessage, toolRunnerMessages } from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import type { CommandResult, ToolReport } from "../../lib/factory/mod.ts";
import { materialize } from "../support/workspace.ts";
import { setupEvents } from "../support/setup_events.ts";
import { commandStart } from "../support/live_event.ts";

/** The Tool Runner: prepares the workspace, applies packets, runs commands, commits and pushes. */
export function toolRunnerActor(deps: FactoryDeps) {
  return defineActor<null, ToolRunnerMessage>({
    type: ACTOR.toolRunner,
    messages: toolRunnerMessages,
    initialState: () => null,
    heavy: true,
    onDeadLetter: failRunOnDeadLetter(deps, "tool_runner"),
    handlers: {
      async prepare(ctx) {
        const st = station(ctx, deps);
        const { runId } = st;
        await reportingFailure(
          st,
          { stage: "prepare" },
          async () => {
            const run = await st.run();
            if (!run) return;
            // The setup phase runs here, before the first model call, so a broken setup costs no tokens.
            const { dir, baseCommit } = await prepareWorkspace({
              root: deps.config.workspaceRoot,
              runId,
              repo: run.workOrder.repo,
              ref: run.workOrder.clone_branch,
              credentials: deps.config.gitCredentials,
              addressPolicy: deps.config.repoAddresses,
              signal: ctx.signal,
            });
            await recordInstructions(st, dir, run.workOrder);
            // The push branch is checked before setup and the first model call, so a collision costs nothing.
            let pushBranch: string | null = null;
            if (run.workOrder.push_branch !== null) {
              try {
                const target = await choosePushTarget({
                  repo: run.workOrder.repo,
                  branch: run.workOrder.push_branch,
                  mode: run.workOrder.push_mode,
                  baseCommit,
                  dir,
                  credentials: deps.config.gitCredentials,
                  addressPolicy: deps.config.repoAddresses,
                  signal: ctx.signal,
                });
                pushBranch = target.branch;
                st.emit({
                  kind: "PUSH_TARGET",
                  payload: {
                    branch: target.branch,
                    mode: run.workOrder.push_mode,
                    ...(target.branch !== run.workOrder.push_branch
                      ? { requested: run.workOrder.push_branch }
                      : {}),
                    existing: target.existing,
                  },
                });
              } catch (error) {
                if (
                  !(error instanceof GitError) ||
                  error.reason !== "push_conflict"
                ) throw error;
                st.fail("push check", error);
                return;
              }
            }
            let setup: SetupOutcome | null = null;
            try {
              await materialize(deps, {
                runId,
                workOrder: run.workOrder,
                throughIteration: 0,
                baseCommit,
                signal: ctx.signal,
                onSetup: (outcome) => setup = outcome,
                onCommandStart: (command, timeoutS) =>
                  st.live(commandStart(deps, {
                    source: "setup",
                    command,
                    timeoutS,
                    iteration: null,
                  })),
              });
            } catch (error) {
              if (!(error instanceof SetupFailedError)) throw error;
              await recordSetup(st, error.outcome);
              st.fail("setup", error);
              return;
            }
            if (setup) await recordSetup(st, setup);
            st.reply({ type: "prepared", baseCommit, pushBranch });
          },
        );
      },

      async apply(ctx, msg) {
        const n = msg.iteration;
        const { attempt } = msg;
        const ofAttempt = attempt === undefined ? {} : { attempt };
        // Events and failures of an attempt's check name the attempt.
        const st = station(ctx, deps, { iteration: n, attempt });
        await reportingFailure(st, { stage: "tool_runner" }, async () => {
          const run = await st.run();
          if (!run) return;
          // A redelivered message reuses the stored report (its events were written with it).
          const report = await st.once(
            ARTIFACT.toolReport(n, attempt),
            async () => {
              const report = await applyAndRun(st, {
                n,
                attempt,
                workOrder: run.workOrder,
                baseCommit: msg.baseCommit,
              });
              for (const command of report.commands) {
                st.emit({
                  kind: "CMD_RESULT",
                  level: command.exit_code === 0 ? "INFO" : "WARN",
                  payload: {
                    command: command.command,
                    exit_code: command.exit_code,
                    duration_ms: command.duration_ms,
                    ...(command.timed_out ? { timed_out: true } : {}),
                  },
                });
              }
              for (const rejected of report.rejected) {
                st.emit({
                  kind: "PATH_REJECTED",
                  level: "WARN",
                  payload: { path: rejected.path, reason: rejected.reason },
                });
              }
              return report;
            },
          );
          st.reply({
            type: "tr_done",
            iteration: n,
            ...ofAttempt,
            applied: report.applied,
            rejected: report.rejected.length,
            ok: report.ok,
            failedCommands: report.commands.filter((c) =>
              c.exit_code !== 0
            ).length,
            changed: report.diff.trim() !== "",
          });
        });
      },

      async finalize(ctx, msg) {
        const n = msg.iteration;
        const st = station(ctx, deps, { iteration: n });
        const { runId } = st;
        await reportingFailure(
          st,
          { stage: "push" },
          async () => {
            const run = await st.run();
            if (!run) return;
            const { workOrder, record } = run;
            const workspace = await materialize(deps, {
              runId,
              workOrder,
              throughIteration: n,
              baseCommit: msg.baseCommit,
              signal: ctx.signal,
              withEnvironment: false,
            });
            const diff = await diffWorkspace(
              workspace.dir,
              workspace.baseCommit,
            );
            await st.put(ARTIFACT.diff, diff);
            // Deterministic commit + push: repeating this after a crash pushes the same SHA.
            // The branch the push check chose (push_mode: suffix may have renamed it).
            const branch = workOrder.push_branch === null || msg.push === false
              ? null
              : record.push_branch ?? workOrder.push_branch;
            // Deterministic commit + push: repeating this after a crash pushes the same SHA.
            const { commit, pushed } = await commitAndPush({
              dir: workspace.dir,
              baseCommit: workspace.baseCommit,
              branch,
              message: `AOS: ${
                record.title ?? "work order"
              }\n\nRun ${runId}, iteration ${n}.\n\nAOS-Run-Id: ${runId}`,
              repo: workOrder.repo,
              credentials: deps.config.gitCredentials,
              addressPolicy: deps.config.repoAddresses,
              signal: ctx.signal,
              author: deps.config.gitAuthor,
              date: new Date(record.started_at ?? record.created_at),
              mode: workOrder.push_mode,
            });
            st.reply({
              type: "finalized",
              commit,
              pushed,
              branch,
            });
          },
        );
      },
    },
  });

  /**
   * Reads the repository's instructions from the fresh checkout (before
   * setup runs, before any change), keeps them as `instructions.json` for the
   * SE and PO, and names the files in an INSTRUCTIONS event.
   */
  async function recordInstructions(
    st: Station,
    dir: string,
    workOrder: WorkOrder,
  ): Promise<void> {
    const found = await loadInstructions(
      dir,
      workOrder.instructions_files,
      st.signal,
    );
    // None found: nothing kept and nothing said (the SE and PO read none).
    if (found.files.length === 0 && found.refused.length === 0) return;
    // Repository text: only the real secret values are masked, as in files.
    await st.put(ARTIFACT.instructions, {
      files: found.files,
      refused: found.refused,
    });
    st.emit({
      kind: "INSTRUCTIONS",
      level: found.refused.length > 0 ? "WARN" : "INFO",
      payload: {
        files: found.files.map((f) => f.path),
        ...(found.refused.length > 0 ? { refused: found.refused } : {}),
      },
    });
  }

  /** Emits the setup events and keeps `setup_report.json` (commands with their capped output). */
  async function recordSetup(
    st: Station,
    outcome: SetupOutcome,
  ): Promise<void> {
    // A command line can carry a credential (an index URL with a token): redacted like the output.
    await st.put(ARTIFACT.setupReport, {
      status: outcome.status,
      environment: outcome.key,
      key_tree: outcome.key_tree,
      key_files: outcome.key_files,
      ...(outcome.environment ? outcome.environment : {}),
      // A failed command's error-looking lines, for the dashboard's setup card and `aos artifacts`.
      commands: outcome.commands.map((command) =>
        command.exit_code === 0 ? command : {
          ...command,
          error_lines: digestOutput(command.output).error_lines,
        }
      ),
    });
    for (const event of setupEvents(outcome, null)) st.emit(event);
  }

  /** Applies iteration `n`'s packet (attempt K's, in a best-of-N iteration) and runs the acceptance commands. */
  async function applyAndRun(st: Station, opts: {
    n: number;
    attempt: number | undefined;
    workOrder: WorkOrder;
    baseCommit: string;
  }): Promise<ToolReport> {
    const { n, attempt, workOrder, baseCommit } = opts;
    const { runId, signal, live } = st;
    const workspace = await materialize(deps, {
      runId,
      workOrder,
      throughIteration: n,
      attempt,
      baseCommit,
      signal,
      onCommandStart: (command, timeoutS) =>
        live(commandStart(deps, {
          source: "setup",
          command,
          timeoutS,
          iteration: n,
        })),
      // Setup reruns only when its cached environment is gone (evicted, another host).
      onSetup: (outcome) =>
        outcome.status !== "restored" &&
        setupEvents(outcome, n).forEach((event) => st.emit(event)),
    });
    // The diff is taken before the commands run, so build outputs never show in it.
    const diff = await diffWorkspace(workspace.dir, workspace.baseCommit);
    const commands: CommandResult[] = [];
    for (const command of workOrder.acceptance_commands) {
      live(commandStart(deps, {
        source: "acceptance",
        command,
        timeoutS: workOrder.command_timeout_s,
        iteration: n,
      }));
      const result = await runCommand({
        command,
        cwd: workspace.dir,
        env: workOrder.env,
        // Acceptance commands alone get the work order's secrets; their output is redacted below.
        secrets: deps.config.secrets.env(workOrder.secrets),
        networkAllow: networkAllowFor(deps, {
          workOrder,
          source: "acceptance",
          iteration: n,
          live,
        }),
        timeoutMs: workOrder.command_timeout_s * 1000,
        mode: deps.sandboxMode,
        signal,
        hideDirs: [deps.config.workspaceRoot],
        ...workspace.layout,
      });
      if (signal.aborted) throw signal.reason ?? new Error("Cancelled");
      // Redacted where the report is stored (the output may echo the secrets).
      commands.push({
        command,
        exit_code: result.exit_code,
        duration_ms: result.duration_ms,
        output: result.output,
        truncated: result.truncated,
        timed_out: result.timed_out,
      });
    }
    const report: ToolReport = {
      iteration: n,
      base_commit: workspace.baseCommit,
      applied: workspace.applied,
      rejected: workspace.rejected,
      commands,
      ok: commands.every((c) => c.exit_code === 0),
      diff,
    };
    return report;
  }
}
