import { defineActor } from "../../runtime/mod.ts";
import { runEngineerTurn } from "../../lib/agents/engineer/turn.ts";
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
import type {
  PoReport,
  SePacket,
  ToolReport,
} from "../../lib/factory/shapes.ts";
import type { Usage } from "../../lib/factory/shapes.ts";
import { runRef } from "../run/messages.ts";
import { materialize } from "../support/workspace.ts";
import { setupEvents } from "../support/setup_events.ts";
import { openWorkingCopy } from "../support/workspace.ts";

/** What the SE stores per iteration: the packet plus what it cost. */
interface StoredPacket extends SePacket {
  usage: Usage;
}

/** The Software Engineer: one model-driven turn per iteration, producing an SE packet. */
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
        await reportingFailure(
          ctx,
          deps,
          { stage: "engineer", iteration: n },
          async () => {
            const run = await activeRun(deps, runId);
            if (!run) return;
            // A redelivered turn reuses the persisted packet instead of asking the model again.
            let packet = await getJson<StoredPacket>(
              store,
              runId,
              artifactName.sePacket(n),
            );
            if (!packet) {
              packet = await engineer(
                ctx.signal,
                runId,
                n,
                run,
                msg.baseCommit,
                (event) => ctx.emit({ ...event, iteration: n }),
              );
            }
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
      },
    },
  });

  async function engineer(
    signal: AbortSignal,
    runId: string,
    n: number,
    run: NonNullable<Awaited<ReturnType<typeof activeRun>>>,
    baseCommit: string,
    emit: (
      event: { kind: string; level: string; payload: Record<string, unknown> },
    ) => void,
  ): Promise<StoredPacket> {
    const { workOrder, record } = run;
    const view = await openWorkingCopy(deps, {
      runId,
      workOrder,
      iteration: n,
      baseCommit,
      signal,
      // Setup reruns only when its cached environment is gone (evicted, another host).
      onSetup: (outcome) =>
        outcome.status !== "restored" &&
        setupEvents(outcome, n).forEach(emit),
    });
    const contextFiles: { path: string; content: string }[] = [];
    for (const path of workOrder.context_files) {
      try {
        contextFiles.push({
          path,
          content: (await view.readText(path)).content,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        contextFiles.push({ path, content: `(not available: ${reason})` });
      }
    }
    let previous: { toolReport: unknown; poFeedback: string } | undefined;
    if (n > 1) {
      const toolReport = await getJson<ToolReport>(
        store,
        runId,
        artifactName.toolReport(n - 1),
      );
      const poReport = await getJson<PoReport>(
        store,
        runId,
        artifactName.poReport(n - 1),
      );
      previous = {
        toolReport: toolReport ? { ...toolReport, diff: undefined } : null,
        poFeedback: poReport?.feedback ?? "",
      };
    }
    const client = deps.modelFor("se");
    const result = await runEngineerTurn({
      client,
      workspace: view,
      task: taskOf(workOrder),
      contextFiles,
      iteration: n,
      ...(previous ? { previous } : {}),
      maxToolSteps: workOrder.max_tool_steps,
      tokenBudget: Math.max(
        0,
        workOrder.max_total_tokens - record.usage.total_tokens,
      ),
      signal,
      redact: (s: string) => deps.redactor.redact(s),
    });
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
