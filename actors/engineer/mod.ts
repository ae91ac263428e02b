import { defineActor } from "../../runtime/mod.ts";
import {
  type EngineerResult,
  runEngineerTurn,
} from "../../lib/agents/engineer/turn.ts";
import {
  journaledPacket,
  journaledWorkspaceState,
  type TurnEntry,
  type TurnJournal,
} from "../../lib/agents/engineer/journal.ts";
import { emptyUsage, ModelError } from "../../lib/llm/client.ts";
import type { SeCommandUsage } from "../../lib/workspace/se_command.ts";
import { JournalConflictError, type KvJournal } from "../../lib/store/mod.ts";
import { retryTransient } from "../../runtime/mod.ts";
import { artifactName, getJson, putJson } from "../support/artifacts.ts";
import {
  activeRun,
  failRunOnDeadLetter,
  priced,
  reportingFailure,
  taskOf,
} from "../support/child.ts";
import { type EngineerMessage, engineerMessages } from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { runRef } from "../run/messages.ts";
import { setupEvents } from "../support/setup_events.ts";
import type { SePacket, Usage } from "../../lib/factory/shapes.ts";
import { openWorkingCopy } from "../support/workspace.ts";
import { contextFiles, previousIteration } from "./turn_inputs.ts";

/** What the SE stores per iteration: the packet plus what it cost. */
interface StoredPacket extends SePacket {
  usage: Usage;
}

type Run = NonNullable<Awaited<ReturnType<typeof activeRun>>>;
type Emit = (
  event: { kind: string; level: string; payload: Record<string, unknown> },
) => void;

/** A turn the model API failed: what it cost and why, for the run's `failed` message. */
interface FailedTurn {
  message: string;
  usage: Usage;
}

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
        const runId = ctx.self.id;
        const n = msg.iteration;
        // Another worker appended to this turn's journal: our view is stale, so
        // the message is retried (and the journal reloaded) instead of failing the run.
        let conflict: JournalConflictError | null = null;
        await reportingFailure(
          ctx,
          deps,
          { stage: "engineer", iteration: n },
          async () => {
            const run = await activeRun(deps, runId);
            if (!run) return;
            const journal = turnJournal(
              store.journal<TurnEntry>(runId, `se_iter_${n}`),
            );
            // A redelivered turn reuses the persisted packet instead of asking the model again.
            let packet = await getJson<StoredPacket>(
              store,
              runId,
              artifactName.sePacket(n),
            );
            if (!packet) {
              let outcome: StoredPacket | FailedTurn;
              try {
                outcome = await engineer(
                  ctx.signal,
                  run,
                  n,
                  msg.baseCommit,
                  journal,
                  (event) => ctx.emit({ ...event, iteration: n }),
                );
              } catch (error) {
                if (error instanceof JournalConflictError) {
                  conflict = error;
                  return;
                }
                throw error;
              }
              if (!("writes" in outcome)) {
                await journal.clear();
                ctx.send(runRef(runId), {
                  type: "failed",
                  stage: "engineer",
                  iteration: n,
                  message: outcome.message,
                  usage: outcome.usage,
                });
                return;
              }
              packet = outcome;
            }
            await journal.clear();
            ctx.send(runRef(runId), {
              type: "se_done",
              iteration: n,
              writes: packet.writes.length,
              deletes: packet.deletes.length,
              summary: packet.summary,
              usage: packet.usage,
            });
          },
        );
        if (conflict) throw conflict;
      },
    },
  });

  /** Runs (or resumes) the turn; a failure of the model API comes back as a FailedTurn, transcript stored. */
  async function engineer(
    signal: AbortSignal,
    run: Run,
    n: number,
    baseCommit: string,
    journal: TurnJournal & { clear(): Promise<void> },
    emit: Emit,
  ): Promise<StoredPacket | FailedTurn> {
    const { workOrder, record } = run;
    const runId = record.id;
    const entries = await journal.load();
    // A resumed turn: base + earlier packets are rebuilt, then its own pending changes from the journal.
    const view = await openWorkingCopy(deps, {
      runId,
      workOrder,
      iteration: n,
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
    });
    const client = deps.modelFor("se");
    let result: EngineerResult;
    try {
      result = await runEngineerTurn({
        client,
        workspace: view,
        task: taskOf(workOrder),
        contextFiles: await contextFiles(
          workOrder,
          async (p) => (await view.readText(p)).content,
        ),
        iteration: n,
        previous: await previousIteration(deps, runId, n),
        maxToolSteps: workOrder.max_tool_steps,
        tokenBudget: Math.max(
          0,
          workOrder.max_total_tokens - record.usage.total_tokens,
        ),
        contextTokens: deps.config.contextTokens,
        ...(workOrder.se_commands
          ? {
            commandLimits:
              `at most ${workOrder.max_se_commands} commands and ${workOrder.se_command_seconds} s of command time per turn, each at most ${workOrder.command_timeout_s} s`,
          }
          : {}),
        journal,
        signal,
        redact: (s: string) => deps.redactor.redact(s),
      });
    } catch (error) {
      if (signal.aborted || !(error instanceof ModelError)) throw error;
      const partial = error.partial;
      const usage = priced(deps.config.seModel, partial?.usage ?? emptyUsage());
      await putJson(
        store,
        runId,
        artifactName.llm(n, "se"),
        deps.redactor.redactDeep({
          agent: "se",
          model: deps.config.seModel,
          iteration: n,
          usage,
          error: { kind: error.kind, message: error.message },
          transcript: partial?.transcript ?? null,
        }),
      );
      return { message: deps.redactor.redact(error.message), usage };
    }
    for (const event of result.events) emit(deps.redactor.redactDeep(event));
    const usage = priced(deps.config.seModel, result.usage);
    await putJson(
      store,
      runId,
      artifactName.llm(n, "se"),
      deps.redactor.redactDeep({
        agent: "se",
        model: deps.config.seModel,
        iteration: n,
        ended: result.ended,
        steps: result.steps,
        usage,
        events: result.events,
        transcript: result.transcript,
      }),
    );
    // File contents are code: only the real secret values are masked, so a
    // fixture like `postgres://u:pw@host` survives; prose gets full redaction.
    const known = (text: string) => deps.redactor.redactKnown(text);
    const packet: StoredPacket = {
      iteration: n,
      writes: result.packet.writes.map((w) => ({
        path: known(w.path),
        content: known(w.content),
      })),
      deletes: result.packet.deletes.map(known),
      summary: deps.redactor.redact(result.summary),
      usage,
    };
    await putJson(store, runId, artifactName.sePacket(n), packet);
    return packet;
  }
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
