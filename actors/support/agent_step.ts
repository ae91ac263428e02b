/**
 * One iteration of a model-driven child (SE or PO), the part both share:
 * reuse a stored result, or ask the model, keep what the exchange cost and
 * said (also when the model API failed), store the result and report it to
 * the run.
 */
import { emptyUsage, ModelError, priced } from "../../lib/llm/mod.ts";
import type { Usage } from "../../lib/factory/mod.ts";
import type { RunMessage } from "../run/messages.ts";
import {
  ARTIFACT,
  type Artifact,
  type ArtifactValue,
} from "../../lib/factory/mod.ts";
import { reportingFailure } from "./child.ts";
import type { ActiveRun, Station } from "./station.ts";
import type { FactoryDeps } from "./deps.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { withRunScope } from "../../lib/telemetry/mod.ts";

/**
 * Thrown by `produce` when a budget paused the step (`on_budget: pause`): the
 * run is sent `notice`, and nothing is stored or settled, so the step goes on
 * from its journal when the run sends it again.
 */
export class StepPaused extends Error {
  /** The run's message saying which budget paused the step. */
  readonly notice: RunMessage;
  constructor(message: string, notice: RunMessage) {
    super(message);
    this.name = "StepPaused";
    this.notice = notice;
  }
}

/** The model-driven agents, as their artifacts and model settings name them. */
export type Agent = "se" | "po";

/** The stage a failure of each agent is reported under. */
const STAGE = { se: "engineer", po: "product_owner" } as const;

/** What one agent does for one iteration. */
export interface AgentStep<R extends { usage: Usage }> {
  agent: Agent;
  iteration: number;
  /** Which of a best-of-N iteration's attempts (an SE turn); absent otherwise. */
  attempt?: number | undefined;
  /** Where the result is stored: a redelivered message reuses it instead of asking the model again. */
  artifact: Artifact<R>;
  /**
   * Asks the model and returns the result to store. A `ModelError` (the
   * model API failed, its `partial` saying what was used) fails the run
   * with that message and the cost; any other error fails it plainly.
   */
  produce(run: ActiveRun): Promise<R>;
  /** The run's message for a result. */
  done(result: R): RunMessage;
  /** The model the step talks to, when not the agent's usual one (an attempt's `attempt_models` entry). */
  model?(workOrder: WorkOrder): string;
  /** Runs once the iteration has its outcome, before the run is told (the SE drops its turn journal). */
  settle?(): Promise<void>;
  /** Errors that mean this worker's view is stale: the message is redelivered instead. */
  redeliver?(error: unknown): boolean;
}

/** The model an agent talks to: the work order's `se_model`/`po_model`, its `model`, else the config's. */
export function agentModel(
  deps: FactoryDeps,
  agent: Agent,
  workOrder: Pick<WorkOrder, "model" | "se_model" | "po_model">,
): string {
  const own = agent === "se" ? workOrder.se_model : workOrder.po_model;
  return own ?? workOrder.model ??
    (agent === "se" ? deps.config.seModel : deps.config.poModel);
}

/** Keeps an agent's exchange with the model (`llm_iter_N_{se,po}.json`, attempt K's own in a best-of-N iteration); redacted where it is stored. */
export async function putExchange(
  st: Station,
  where: {
    agent: Agent;
    iteration: number;
    model: string;
    attempt?: number | undefined;
  },
  exchange:
    & Omit<
      Partial<ArtifactValue<"llm">>,
      "agent" | "model" | "iteration" | "attempt"
    >
    & {
      usage: Usage;
      transcript: unknown;
    },
): Promise<void> {
  await st.put(ARTIFACT.llm(where.iteration, where.agent, where.attempt), {
    agent: where.agent,
    model: where.model,
    iteration: where.iteration,
    ...(where.attempt === undefined ? {} : { attempt: where.attempt }),
    ...exchange,
  });
}

/**
 * Runs `step` for the run this child works for (nothing once that run has
 * ended) and reports its result — or why it failed — to the run. `st` is the
 * step's station, made for the step's iteration and attempt.
 */
export async function runAgentStep<R extends { usage: Usage }>(
  st: Station,
  deps: FactoryDeps,
  step: AgentStep<R>,
): Promise<void> {
  const { agent, iteration, attempt } = step;
  await reportingFailure(st, {
    stage: STAGE[agent],
    redeliver: step.redeliver,
  }, async () => {
    const run = await st.run();
    if (!run) return;
    let result: R;
    try {
      // Model calls inside find their run, iteration and agent (traces).
      result = await st.once(step.artifact, () =>
        withRunScope({
          runId: st.runId,
          traceparent: run.record.traceparent,
          iteration,
          agent,
        }, () => step.produce(run)));
    } catch (error) {
      if (error instanceof StepPaused && !st.signal.aborted) {
        st.reply(error.notice);
        return;
      }
      if (st.signal.aborted || !(error instanceof ModelError)) throw error;
      // A failed exchange still leaves its transcript and what it cost.
      const model = step.model?.(run.workOrder) ??
        agentModel(deps, agent, run.workOrder);
      const usage = priced(model, error.partial?.usage ?? emptyUsage());
      await putExchange(st, { agent, iteration, model, attempt }, {
        usage,
        error: { kind: error.kind, message: error.message },
        transcript: error.partial?.transcript ?? null,
      });
      st.emitReported(error.partial?.events ?? []);
      await step.settle?.();
      st.fail(STAGE[agent], error, { usage });
      return;
    }
    await step.settle?.();
    st.reply(step.done(result));
  });
}
