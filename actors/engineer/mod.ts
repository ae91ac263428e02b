import { priced } from "../../lib/llm/mod.ts";
import { networkAllowFor, networkNote } from "../support/network_allow.ts";
import { defineActor, retryTransient } from "../../runtime/mod.ts";
import {
  journaledPacket,
  journaledWorkspaceState,
  runEngineerTurn,
  type TurnEntry,
  type TurnJournal,
} from "../../lib/agents/mod.ts";
import type { SeCommandUsage } from "../../lib/workspace/mod.ts";
import { JournalConflictError, type KvJournal } from "../../lib/store/mod.ts";
import { ARTIFACT, type ArtifactValue } from "../../lib/factory/mod.ts";
import { failRunOnDeadLetter, taskOf, tokensLeft } from "../support/child.ts";
import { type ActiveRun, type Station, station } from "../support/station.ts";
import {
  agentModel,
  putExchange,
  runAgentStep,
  StepPaused,
} from "../support/agent_step.ts";
import {
  type EngineerMessage,
  engineerMessages,
  type TurnBudget,
} from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { modelObserver } from "../support/model_watch.ts";
import { commandStart } from "../support/live_event.ts";
import { setupEvents } from "../support/setup_events.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { openWorkingCopy } from "../support/workspace.ts";
import { contextFiles, previousIteration } from "./turn_inputs.ts";
import { repoInstructions } from "../support/instructions.ts";
import { openTurnMcp } from "../support/mcp.ts";

/** What the SE stores per iteration: the packet plus what it cost. */
type StoredPacket = ArtifactValue<"se_packet">;

/**
 * The Software Engineer: one model-driven turn per iteration, producing an SE
 * packet. The turn is journaled as it goes (`se_iter_N`), so a redelivered
 * or taken-over turn resumes it; its transcript and usage are kept whether it
 * finished, stopped at a limit or failed.
 */
export function engineerActor(deps: FactoryDeps) {
  const { store } = deps;
  return defineActor<null, EngineerMessage>({
    type: ACTOR.engineer,
    messages: engineerMessages,
    initialState: () => null,
    heavy: true,
    onDeadLetter: failRunOnDeadLetter(deps, "engineer"),
    handlers: {
      async turn(ctx, msg) {
        const n = msg.iteration;
        const { attempt } = msg;
        // Events and failures of an attempt's turn name the attempt.
        const st = station(ctx, deps, { iteration: n, attempt });
        const journal = turnJournal(
          store.journal<TurnEntry>(st.runId, turnJournalName(n, attempt)),
        );
        const ofAttempt = attempt === undefined ? {} : { attempt };
        await runAgentStep<StoredPacket>(st, deps, {
          agent: "se",
          iteration: n,
          attempt,
          artifact: ARTIFACT.sePacket(n, attempt),
          model: (workOrder) => seModel(workOrder, n, attempt),
          produce: (run) =>
            engineer(st, {
              run,
              n,
              attempt,
              baseCommit: msg.baseCommit,
              budget: msg.budget,
              journal,
            }),
          // The turn has its outcome: a redelivery reuses the packet, not the journal.
          settle: () => journal.clear(),
          done: (packet) => ({
            type: "se_done",
            iteration: n,
            ...ofAttempt,
            writes: packet.writes.length,
            deletes: packet.deletes.length,
            summary: packet.summary,
            usage: packet.usage,
          }),
          // Another worker appended to this turn's journal: our view is stale, so
          // the message is retried (and the journal reloaded) instead of failing the run.
          redeliver: (error) => error instanceof JournalConflictError,
        });
      },
    },
  });

  /** The SE's model: attempt K's `attempt_models` entry, else the run's SE model. */
  function seModel(
    workOrder: WorkOrder,
    n: number,
    attempt: number | undefined,
  ): string {
    // Iteration 1 is the attempts' (with attempts: 1, the one turn is attempt 1).
    return (n === 1
      ? workOrder.attempt_models[(attempt ?? 1) - 1]
      : undefined) ??
      agentModel(deps, "se", workOrder);
  }

  /**
   * Runs (or resumes) the turn and returns its packet (redacted where it is
   * stored), transcript stored; a failure of the model API throws its
   * `ModelError`.
   */
  async function engineer(st: Station, opts: {
    run: ActiveRun;
    n: number;
    attempt: number | undefined;
    baseCommit: string;
    budget: TurnBudget | undefined;
    journal: TurnJournal;
  }): Promise<StoredPacket> {
    const { run, n, attempt, baseCommit, budget, journal } = opts;
    const { workOrder } = run;
    const { runId, signal, live } = st;
    const entries = await journal.load();
    // A resumed turn: base + earlier packets are rebuilt, then its own pending changes from the journal.
    const view = await openWorkingCopy(deps, {
      runId,
      workOrder,
      iteration: n,
      attempt,
      baseCommit,
      pending: entries.length > 0 ? journaledPacket(entries) : undefined,
      commandUsage: journaledWorkspaceState(entries) as
        | SeCommandUsage
        | undefined,
      signal,
      // Setup reruns only when its cached environment is gone (evicted, another host).
      onSetup: (outcome) =>
        outcome.status !== "restored" &&
        setupEvents(outcome, n).forEach((event) => st.emit(event)),
      onCommand: (command) =>
        st.emit({
          kind: "SE_COMMAND",
          level: command.exit_code === 0 ? "INFO" : "WARN",
          payload: { ...command },
        }),
      onCommandStart: (command, timeoutS, source) =>
        live(commandStart(deps, { source, command, timeoutS, iteration: n })),
      networkAllow: networkAllowFor(deps, {
        workOrder,
        source: "se",
        iteration: n,
        live,
      }),
    });
    const model = seModel(workOrder, n, attempt);
    // Started per turn, stopped when it ends: no server outlives its turn.
    const mcp = await openTurnMcp(deps, { workOrder, view });
    if (mcp) {
      st.emit({
        kind: "MCP_SERVERS",
        level: mcp.statuses.every((s) => s.ok) ? "INFO" : "WARN",
        payload: { servers: mcp.statuses.map((status) => ({ ...status })) },
      });
    }
    let result;
    try {
      result = await runEngineerTurn({
        client: deps.modelFor("se", model),
        workspace: view,
        task: taskOf(workOrder),
        instructions: await repoInstructions(st),
        contextFiles: await contextFiles(
          workOrder,
          async (p) => (await view.readText(p)).content,
        ),
        iteration: n,
        previous: await previousIteration(st, n),
        maxToolSteps: workOrder.max_tool_steps,
        tokenBudget: budget ? budget.tokens : tokensLeft(run),
        ...(budget && budget.costUsd !== null
          ? {
            costBudget: {
              leftUsd: budget.costUsd,
              costOf: (spent) => priced(model, spent).cost_usd,
            },
          }
          : {}),
        ...(budget && budget.deadlineAt !== null
          ? { deadlineAt: budget.deadlineAt }
          : {}),
        pauseAtBudget: budget?.pause ?? false,
        contextTokens: deps.config.contextTokens,
        ...(workOrder.se_commands
          ? {
            commandLimits:
              `at most ${workOrder.max_se_commands} commands and ${workOrder.se_command_seconds} s of command time per turn, each at most ${workOrder.command_timeout_s} s; ${
                networkNote(workOrder)
              }`,
          }
          : {}),
        journal,
        signal,
        redact: (s: string) => deps.redactor.redact(s),
        observer: modelObserver(deps, {
          runId,
          agent: "se",
          iteration: n,
          model,
        }),
        onStep: (step) =>
          live({
            kind: "SE_STEP",
            level: step.ok ? "INFO" : "WARN",
            iteration: n,
            payload: { ...step },
          }),
        ...(mcp ? { external: mcp.external } : {}),
      });
    } finally {
      await mcp?.close();
    }
    const usage = priced(model, result.usage);
    if (result.paused) {
      // Its events come once, with the turn's end; the transcript so far is kept now.
      await putExchange(st, { agent: "se", iteration: n, model, attempt }, {
        ended: result.ended,
        paused: true,
        steps: result.steps,
        usage,
        transcript: result.transcript,
      });
      throw new StepPaused(result.summary, {
        type: "budget_reached",
        iteration: n,
        reason: result.paused,
        message: deps.redactor.redact(result.summary),
        usage,
      });
    }
    st.emitReported(result.events);
    await putExchange(st, { agent: "se", iteration: n, model, attempt }, {
      ended: result.ended,
      steps: result.steps,
      usage,
      events: result.events,
      transcript: result.transcript,
    });
    // Redacted where it is stored (lib/factory/artifacts.ts): file contents
    // only of the real secret values, so fixtures survive; prose fully.
    return {
      iteration: n,
      writes: result.packet.writes,
      deletes: result.packet.deletes,
      summary: result.summary,
      usage,
    };
  }
}

/** The KV journal of iteration `n`'s turn (attempt K's own in a best-of-N iteration). */
export function turnJournalName(n: number, attempt?: number): string {
  return attempt === undefined
    ? `se_iter_${n}`
    : `se_iter_${n}_attempt_${attempt}`;
}

/**
 * The turn's KV journal with SQLite lock contention retried in place, so a
 * busy database neither loses a paid reply nor fails the turn.
 */
function turnJournal(
  kv: KvJournal<TurnEntry>,
): TurnJournal & { clear(): Promise<void> } {
  return {
    load: () => retryTransient(() => kv.load()),
    append: (entry) => retryTransient(() => kv.append(entry)),
    clear: () => retryTransient(() => kv.clear()),
  };
}
