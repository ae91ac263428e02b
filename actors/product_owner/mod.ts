import { priced } from "../../lib/llm/mod.ts";
import { defineActor } from "../../runtime/mod.ts";
import { repoInstructions } from "../support/instructions.ts";
import { runProductOwner } from "../../lib/agents/mod.ts";
import { ARTIFACT, bestAttempt, dropReason } from "../../lib/factory/mod.ts";
import { failRunOnDeadLetter, taskOf, tokensLeft } from "../support/child.ts";
import { type ActiveRun, type Station, station } from "../support/station.ts";
import type { PoAttempt } from "../../lib/agents/mod.ts";
import {
  agentModel,
  putExchange,
  runAgentStep,
} from "../support/agent_step.ts";
import { type ProductOwnerMessage, productOwnerMessages } from "./messages.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { modelObserver } from "../support/model_watch.ts";
import type { ArtifactValue } from "../../lib/factory/mod.ts";

/** What the PO stores per iteration: the verdict plus what it cost; the PO model's pick among several attempts rides along until it is stored as `attempt`. */
type StoredVerdict = ArtifactValue<"po_report"> & { pick?: number };

/** The Product Owner: FAIL on any failing command, otherwise the model's verdict on the diff. */
export function productOwnerActor(deps: FactoryDeps) {
  return defineActor<null, ProductOwnerMessage>({
    type: ACTOR.productOwner,
    messages: productOwnerMessages,
    initialState: () => null,
    heavy: true,
    onDeadLetter: failRunOnDeadLetter(deps, "product_owner"),
    handlers: {
      async review(ctx, msg) {
        const n = msg.iteration;
        const st = station(ctx, deps, { iteration: n });
        await runAgentStep<StoredVerdict>(
          st,
          deps,
          {
            agent: "po",
            iteration: n,
            artifact: ARTIFACT.poReport(n),
            produce: (run) =>
              msg.attempts && msg.attempts.length > 0
                ? reviewAttempts(st, run, n, msg.attempts)
                : reviewOne(st, run, n),
            done: (verdict) => ({
              type: "po_done",
              iteration: n,
              decision: verdict.decision,
              feedback: verdict.feedback,
              usage: verdict.usage,
              ...(verdict.attempt === undefined ? {} : {
                attempt: verdict.attempt,
                candidates: verdict.candidates ?? [],
              }),
            }),
          },
        );
      },
    },
  });

  /** Reviews iteration `n`'s one packet and tool report. */
  async function reviewOne(
    st: Station,
    run: ActiveRun,
    n: number,
  ): Promise<StoredVerdict> {
    const toolReport = await st.get(ARTIFACT.toolReport(n));
    const packet = await st.get(ARTIFACT.sePacket(n));
    if (!toolReport || !packet) {
      throw new Error(
        `Iteration ${n} has no tool report or SE packet to review`,
      );
    }
    return await judge(st, run, n, { toolReport, seSummary: packet.summary });
  }

  /**
   * Best-of-N: the attempts passing acceptance are judged side by side (one
   * alone when only one passes); with none passing, the best attempt gets the
   * usual FAIL. The attempt the run goes on with — picked, or best — becomes
   * the iteration's packet and tool report (the plain names), before the
   * verdict is stored, so the next iteration and the push read it.
   */
  async function reviewAttempts(
    st: Station,
    run: ActiveRun,
    n: number,
    attempts: number[],
  ): Promise<StoredVerdict> {
    const loaded = await Promise.all(attempts.map(async (attempt) => {
      const [report, packet] = await Promise.all([
        st.get(ARTIFACT.toolReport(n, attempt)),
        st.get(ARTIFACT.sePacket(n, attempt)),
      ]);
      if (!report || !packet) {
        throw new Error(
          `Attempt ${attempt} of iteration ${n} has no tool report or SE packet to review`,
        );
      }
      return { attempt, report, packet };
    }));
    const candidates = loaded.filter((a) => dropReason(a.report) === null);
    const best = (among: typeof loaded) =>
      bestAttempt(among.map(({ attempt, report }) => ({ attempt, report })));
    let verdict: StoredVerdict;
    let attempt: number;
    if (candidates.length > 1) {
      verdict = await judge(st, run, n, {
        toolReport: candidates[0]!.report,
        seSummary: candidates[0]!.packet.summary,
        attempts: candidates.map((a) => ({
          attempt: a.attempt,
          commands: a.report.commands,
          diff: a.report.diff,
          rejected: a.report.rejected,
          seSummary: a.packet.summary,
        })),
      });
      attempt = verdict.pick ?? best(candidates);
    } else {
      // One passing attempt is judged alone; none passing: the best one's FAIL.
      attempt = candidates[0]?.attempt ?? best(loaded);
      const chosen = loaded.find((a) => a.attempt === attempt)!;
      verdict = await judge(st, run, n, {
        toolReport: chosen.report,
        seSummary: chosen.packet.summary,
      });
    }
    const kept = loaded.find((a) => a.attempt === attempt)!;
    // Written before the verdict: a redelivery that finds the verdict finds these too.
    await st.put(ARTIFACT.sePacket(n), kept.packet);
    await st.put(ARTIFACT.toolReport(n), kept.report);
    const { pick: _pick, ...rest } = verdict;
    return {
      ...rest,
      attempt,
      candidates: candidates.map((a) => a.attempt),
    };
  }

  /** Asks the PO model (or decides without it) and keeps its exchange. */
  async function judge(
    st: Station,
    run: ActiveRun,
    n: number,
    input: {
      toolReport: ArtifactValue<"tool_report">;
      seSummary: string;
      attempts?: PoAttempt[];
    },
  ): Promise<StoredVerdict> {
    const runId = run.record.id;
    const model = agentModel(deps, "po", run.workOrder);
    const result = await runProductOwner({
      client: deps.modelFor("po", model),
      task: taskOf(run.workOrder),
      toolReport: {
        commands: input.toolReport.commands,
        diff: input.toolReport.diff,
        rejected: input.toolReport.rejected,
      },
      seSummary: input.seSummary,
      ...(input.attempts ? { attempts: input.attempts } : {}),
      instructions: await repoInstructions(st),
      iteration: n,
      signal: st.signal,
      tokenBudget: tokensLeft(run),
      contextTokens: deps.config.contextTokens,
      observer: modelObserver(deps, {
        runId,
        agent: "po",
        iteration: n,
        model,
      }),
    });
    st.emitReported(result.events);
    const usage = priced(model, result.usage);
    if (result.byModel) {
      await putExchange(st, { agent: "po", iteration: n, model }, {
        usage,
        transcript: result.transcript,
      });
    }
    // Redacted where it is stored.
    return {
      iteration: n,
      decision: result.decision,
      feedback: result.feedback,
      by_model: result.byModel,
      usage,
      ...(result.pick === undefined ? {} : { pick: result.pick }),
    };
  }
}
