import { priced } from "../../lib/llm/usage.ts";
import { networkAllowFor, networkNote } from "../support/network_allow.ts";
import { defineActor } from "../../runtime/mod.ts";
import { runEngineerTurn } from "../../lib/agents/engineer/turn.ts";
import {
  journaledPacket,
  journaledWorkspaceState,
  type TurnEntry,
  type TurnJournal,
} from "../../lib/agents/engineer/journal.ts";
import type { SeCommandUsage } from "../../lib/workspace/se_command.ts";
import { JournalConflictError, type KvJournal } from "../../lib/store/mod.ts";
import { retryTransient } from "../../runtime/mod.ts";
import { ARTIFACT, type ArtifactValue } from "../../lib/factory/artifacts.ts";
import {
  type ActiveRun,
  failRunOnDeadLetter,
  taskOf,
  tokensLeft,
} from "../support/child.ts";
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
import { commandStart, liveEvents } from "../support/live_event.ts";
import { setupEvents } from "../support/setup_events.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { openWorkingCopy } from "../support/workspace.ts";
import { contextFiles, previousIteration } from "./turn_inputs.ts";
import { repoInstructions } from "../support/instructions.ts";
import { openTurnMcp } from "../support/mcp.ts";

/** What the SE stores per iteration: the packet plus what it cost. */
type StoredPacket = ArtifactValue<"se_packet">;

type Emit = (
  event: { kind: string; level: string; payload: Record<string, unknown> },
) => void;

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
        // An attempt's SE is an actor of its own, owned by the run.
        const runId = ctx.owner.id;
        const n = msg.iteration;
        const { attempt } = msg;
        const journal = turnJournal(
          store.journal<TurnEntry>(runId, turnJournalName(n, attempt)),
        );
        const ofAttempt = attempt === undefined ? {} : { attempt };
        await runAgentStep<null, EngineerMessage, StoredPacket>(ctx, deps, {
          agent: "se",
          iteration: n,
          attempt,
          artifact: ARTIFACT.sePacket(n, attempt),
          model: (workOrder) => seModel(workOrder, attempt),
          produce: (run) =>
            engineer({
              signal: ctx.signal,
              run,
              n,
              attempt,
              baseCommit: msg.baseCommit,
              budget: msg.budget,
              journal,
              emit: (event) =>
                ctx.emit({
                  ...event,
                  iteration: n,
                  ...(attempt === undefined
                    ? {}
                    : { payload: { ...event.payload, attempt } }),
                }),
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
  function seModel(workOrder: WorkOrder, attempt: number | undefined): string {
    return (attempt === undefined
      ? undefined
      : workOrder.attempt_models[attempt - 1]) ??
      agentModel(deps, "se", workOrder);
  }

  /**
   * Runs (or resumes) the turn and returns its packet, transcript stored; a
   * failure of the model API throws its `ModelError`.
   */
  async function engineer(opts: {
    signal: AbortSignal;
    run: ActiveRun;
    n: number;
    attempt: number | undefined;
    baseCommit: string;
    budget: TurnBudget | undefined;
    journal: TurnJournal;
    emit: Emit;
  }): Promise<StoredPacket> {
    const { signal, run, n, attempt, baseCommit, budget, journal, emit } = opts;
    const { workOrder } = run;
    const runId = run.record.id;
    const entries = await journal.load();
    const live = liveEvents(deps, runId);
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
        setupEvents(outcome, n).forEach((e) =>
          emit(deps.redactor.redactDeep(e))
        ),
      onCommand: (command) =>
        emit(deps.redactor.redactDeep({
          kind: "SE_COMMAND",
          level: command.exit_code === 0 ? "INFO" : "WARN",
          payload: { ...command },
        })),
      onCommandStart: (command, timeoutS, source) =>
        live(withAttempt(
          commandStart(deps, { source, command, timeoutS, iteration: n }),
          attempt,
        )),
      networkAllow: networkAllowFor(deps, {
        workOrder,
        source: "se",
        iteration: n,
        live,
      }),
    });
    const model = seModel(workOrder, attempt);
    // Started per turn, stopped when it ends: no server outlives its turn.
    const mcp = await openTurnMcp(deps, { workOrder, view });
    if (mcp) {
      emit(deps.redactor.redactDeep({
        kind: "MCP_SERVERS",
        level: mcp.statuses.every((s) => s.ok) ? "INFO" : "WARN",
        payload: { servers: mcp.statuses },
      }));
    }
    let result;
    try {
      result = await runEngineerTurn({
        client: deps.modelFor("se", model),
        workspace: view,
        task: taskOf(workOrder),
        instructions: await repoInstructions(deps, runId),
        contextFiles: await contextFiles(
          workOrder,
          async (p) => (await view.readText(p)).content,
        ),
        iteration: n,
        previous: await previousIteration(deps, runId, n),
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
            payload: {
              ...step,
              ...(attempt === undefined ? {} : { attempt }),
            },
          }),
        ...(mcp ? { external: mcp.external } : {}),
      });
    } finally {
      await mcp?.close();
    }
    const usage = priced(model, result.usage);
    if (result.paused) {
      // Its events come once, with the turn's end; the transcript so far is kept now.
      await putExchange(deps, {
        runId,
        agent: "se",
        iteration: n,
        model,
        attempt,
      }, {
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
    for (const event of result.events) emit(deps.redactor.redactDeep(event));
    await putExchange(deps, {
      runId,
      agent: "se",
      iteration: n,
      model,
      attempt,
    }, {
      ended: result.ended,
      steps: result.steps,
      usage,
      events: result.events,
      transcript: result.transcript,
    });
    // File contents are code: only the real secret values are masked, so a
    // fixture like `postgres://u:pw@host` survives; prose gets full redaction.
    const known = (text: string) => deps.redactor.redactKnown(text);
    return {
      iteration: n,
      writes: result.packet.writes.map((w) => ({
        path: known(w.path),
        content: known(w.content),
      })),
      deletes: result.packet.deletes.map(known),
      summary: deps.redactor.redact(result.summary),
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

/** A live event with the attempt it belongs to in its payload. */
function withAttempt<E extends { payload?: Record<string, unknown> }>(
  event: E,
  attempt: number | undefined,
): E {
  return attempt === undefined
    ? event
    : { ...event, payload: { ...event.payload, attempt } };
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
