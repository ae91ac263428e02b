import { defineActor } from "../../runtime/mod.ts";
import { emptyUsage, ModelError } from "../../lib/llm/client.ts";
import { runProductOwner } from "../../lib/agents/product_owner/review.ts";
import { artifactName, getJson, putJson } from "../support/artifacts.ts";
import {
  activeRun,
  failRunOnDeadLetter,
  priced,
  reportingFailure,
  taskOf,
} from "../support/child.ts";
import { type ProductOwnerMessage, productOwnerMessages } from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import type {
  PoReport,
  SePacket,
  ToolReport,
} from "../../lib/factory/shapes.ts";
import type { Usage } from "../../lib/factory/shapes.ts";
import { runRef } from "../run/messages.ts";

/** What the PO stores per iteration: the verdict plus what it cost. */
interface StoredVerdict extends PoReport {
  usage: Usage;
}

/** The Product Owner: FAIL on any failing command, otherwise the model's verdict on the diff. */
export function productOwnerActor(deps: FactoryDeps) {
  const { store } = deps;
  return defineActor<null, ProductOwnerMessage>({
    type: ACTOR.productOwner,
    messages: productOwnerMessages,
    initialState: () => null,
    heavy: true,
    onDeadLetter: failRunOnDeadLetter(deps, "product_owner"),
    handlers: {
      async review(ctx, msg) {
        const runId = ctx.self.id;
        const n = msg.iteration;
        await reportingFailure(ctx, deps, {
          stage: "product_owner",
          iteration: n,
        }, async () => {
          const run = await activeRun(deps, runId);
          if (!run) return;
          let verdict = await getJson<StoredVerdict>(
            store,
            runId,
            artifactName.poReport(n),
          );
          if (!verdict) {
            const toolReport = await getJson<ToolReport>(
              store,
              runId,
              artifactName.toolReport(n),
            );
            const packet = await getJson<SePacket>(
              store,
              runId,
              artifactName.sePacket(n),
            );
            if (!toolReport || !packet) {
              throw new Error(
                `Iteration ${n} has no tool report or SE packet to review`,
              );
            }
            let result;
            try {
              result = await runProductOwner({
                client: deps.modelFor("po"),
                task: taskOf(run.workOrder),
                toolReport: {
                  commands: toolReport.commands,
                  diff: toolReport.diff,
                  rejected: toolReport.rejected,
                },
                seSummary: packet.summary,
                iteration: n,
                signal: ctx.signal,
                tokenBudget: Math.max(
                  0,
                  run.workOrder.max_total_tokens -
                    run.record.usage.total_tokens,
                ),
              });
            } catch (error) {
              if (ctx.signal.aborted || !(error instanceof ModelError)) {
                throw error;
              }
              // A failed review still leaves its transcript and what it cost.
              const usage = priced(
                deps.config.poModel,
                error.partial?.usage ?? emptyUsage(),
              );
              await putJson(
                store,
                runId,
                artifactName.llm(n, "po"),
                deps.redactor.redactDeep({
                  agent: "po",
                  model: deps.config.poModel,
                  iteration: n,
                  usage,
                  error: { kind: error.kind, message: error.message },
                  transcript: error.partial?.transcript ?? null,
                }),
              );
              ctx.send(runRef(runId), {
                type: "failed",
                stage: "product_owner",
                iteration: n,
                message: deps.redactor.redact(error.message),
                usage,
              });
              return;
            }
            const usage = priced(deps.config.poModel, result.usage);
            if (result.byModel) {
              await putJson(
                store,
                runId,
                artifactName.llm(n, "po"),
                deps.redactor.redactDeep({
                  agent: "po",
                  model: deps.config.poModel,
                  iteration: n,
                  usage,
                  transcript: result.transcript,
                }),
              );
            }
            verdict = deps.redactor.redactDeep({
              iteration: n,
              decision: result.decision,
              feedback: result.feedback,
              by_model: result.byModel,
              usage,
            });
            await putJson(store, runId, artifactName.poReport(n), verdict);
          }
          ctx.send(runRef(runId), {
            type: "po_done",
            iteration: n,
            decision: verdict.decision,
            feedback: verdict.feedback,
            usage: verdict.usage,
          });
        });
      },
    },
  });
}
