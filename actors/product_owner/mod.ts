import { priced } from "../../lib/llm/usage.ts";
import { defineActor } from "../../runtime/mod.ts";
import { repoInstructions } from "../support/instructions.ts";
import { runProductOwner } from "../../lib/agents/product_owner/review.ts";
import { ARTIFACT } from "../../lib/factory/artifacts.ts";
import { readArtifact } from "../../lib/factory/artifact_store.ts";
import { failRunOnDeadLetter, taskOf, tokensLeft } from "../support/child.ts";
import {
  agentModel,
  putExchange,
  runAgentStep,
} from "../support/agent_step.ts";
import { type ProductOwnerMessage, productOwnerMessages } from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { modelObserver } from "../support/model_watch.ts";
import type { ArtifactValue } from "../../lib/factory/artifacts.ts";

/** What the PO stores per iteration: the verdict plus what it cost. */
type StoredVerdict = ArtifactValue<"po_report">;

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
        await runAgentStep<null, ProductOwnerMessage, StoredVerdict>(
          ctx,
          deps,
          {
            agent: "po",
            iteration: n,
            artifact: ARTIFACT.poReport(n),
            produce: async (run) => {
              const toolReport = await readArtifact(
                store,
                runId,
                ARTIFACT.toolReport(n),
              );
              const packet = await readArtifact(
                store,
                runId,
                ARTIFACT.sePacket(n),
              );
              if (!toolReport || !packet) {
                throw new Error(
                  `Iteration ${n} has no tool report or SE packet to review`,
                );
              }
              const model = agentModel(deps, "po", run.workOrder);
              const result = await runProductOwner({
                client: deps.modelFor("po", model),
                task: taskOf(run.workOrder),
                toolReport: {
                  commands: toolReport.commands,
                  diff: toolReport.diff,
                  rejected: toolReport.rejected,
                },
                seSummary: packet.summary,
                instructions: await repoInstructions(deps, runId),
                iteration: n,
                signal: ctx.signal,
                tokenBudget: tokensLeft(run),
                contextTokens: deps.config.contextTokens,
                observer: modelObserver(deps, {
                  runId,
                  agent: "po",
                  iteration: n,
                  model,
                }),
              });
              for (const event of result.events) {
                ctx.emit(deps.redactor.redactDeep({ ...event, iteration: n }));
              }
              const usage = priced(model, result.usage);
              if (result.byModel) {
                await putExchange(deps, {
                  runId,
                  agent: "po",
                  iteration: n,
                  model,
                }, {
                  usage,
                  transcript: result.transcript,
                });
              }
              return deps.redactor.redactDeep({
                iteration: n,
                decision: result.decision,
                feedback: result.feedback,
                by_model: result.byModel,
                usage,
              });
            },
            done: (verdict) => ({
              type: "po_done",
              iteration: n,
              decision: verdict.decision,
              feedback: verdict.feedback,
              usage: verdict.usage,
            }),
          },
        );
      },
    },
  });
}
