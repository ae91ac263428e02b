import {
  defineActor,
  retryTransient,
  TerminalError,
} from "../../runtime/mod.ts";
import type { ActorContext } from "../../runtime/mod.ts";
import type { RunRecord, RunStatus } from "../../lib/store/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import { ARTIFACT, sumUsage, type Usage } from "../../lib/factory/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import { deadLetterReason } from "../support/child.ts";
import {
  type Station,
  station,
  type StationEvent,
} from "../support/station.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { engineerRef } from "../engineer/messages.ts";
import { productOwnerRef } from "../product_owner/messages.ts";
import { toolRunnerRef } from "../tool_runner/messages.ts";
import { notifyWebhook } from "../webhook/mod.ts";
import { notifyForge } from "../trigger/reply.ts";
import { pullRequestRef } from "../pull_request/messages.ts";
import {
  type ResumePoint,
  type RunMessage,
  runMessages,
  type RunState,
} from "./messages.ts";
import {
  type BudgetReached,
  budgetReached,
  limitsOf,
  raisedLimits,
  TURN_END_REASON,
  turnBudget,
  usageLess,
  wallUsedMs,
} from "./budget.ts";
import { runSummary } from "./summary.ts";
import {
  allChecked,
  attemptCount,
  attemptNumbers,
  checkedDropReason,
  droppedBeforeReview,
  engineeredAttempts,
  pickReason,
  shareBudget,
  startAttempts,
} from "./attempts.ts";
import { turnJournalName } from "../engineer/mod.ts";
import { callsInFlight, type TurnEntry } from "../../lib/agents/mod.ts";

type Ctx = ActorContext<RunState, RunMessage>;

const children = (runId: string) => ({
  se: engineerRef(runId),
  tr: toolRunnerRef(runId),
  po: productOwnerRef(runId),
  pr: pullRequestRef(runId),
});

/**
 * The run actor: owns the run record and drives SE → TR → PO until PASS,
 * `max_iterations`, a failure, the wall-time deadline or a cancel.
 */
export function runActor(deps: FactoryDeps) {
  const { store } = deps;
  const stations = new WeakMap<Ctx, Station>();

  /** Loads the record; null (and the actor stops) once it is terminal. */
  async function live(ctx: Ctx): Promise<RunRecord | null> {
    const record = await retryTransient(() => store.findRun(ctx.self.id));
    if (!record || TERMINAL_STATUSES.has(record.status)) {
      ctx.setState({ ...ctx.state, phase: "done" });
      return null;
    }
    return record;
  }

  /**
   * The live record when the run is in `phase` (and at `iteration`, for
   * agent replies); null for a stale or duplicate message, which is dropped.
   */
  async function awaiting(
    ctx: Ctx,
    phase: RunState["phase"],
    iteration?: number,
  ): Promise<RunRecord | null> {
    if (ctx.state.phase !== phase) return null;
    if (iteration !== undefined && iteration !== ctx.state.iteration) {
      return null;
    }
    return await live(ctx);
  }

  /** The resolved base commit for children, so a rebuilt workspace never follows a moved branch. */
  function base(ctx: Ctx): { baseCommit: string } {
    const { baseCommit } = ctx.state;
    // Set by `prepared`, the only way into the phases that ask for it.
    if (!baseCommit) {
      throw new TerminalError(
        `Run ${ctx.self.id} is in phase "${ctx.state.phase}" without a resolved base commit`,
      );
    }
    return { baseCommit };
  }

  function save(ctx: Ctx, prev: RunRecord, next: RunRecord): void {
    ctx.write(...store.updateRunMutations(prev, next));
  }

  /** This step's station (one per step: the work order is read once). */
  function st(ctx: Ctx): Station {
    let handle = stations.get(ctx);
    if (!handle) {
      handle = station(ctx, deps);
      stations.set(ctx, handle);
    }
    return handle;
  }

  /** Appends an event to the run's log with this step's commit (typed, redacted by the station). */
  function emit(ctx: Ctx, event: StationEvent): void {
    st(ctx).emit(event);
  }

  async function finish(
    ctx: Ctx,
    prev: RunRecord,
    status: RunStatus,
    outcome: { result_summary?: string | null; error?: string | null },
    /** The record to finish from, when this step also changed it (usage). */
    base: RunRecord = prev,
  ): Promise<void> {
    const next: RunRecord = {
      ...base,
      status,
      iteration: ctx.state.iteration,
      finished_at: new Date().toISOString(),
      result_summary: outcome.result_summary ?? prev.result_summary,
      error: outcome.error === undefined
        ? prev.error
        : outcome.error === null
        ? null
        : deps.redactor.redact(outcome.error),
    };
    const setup = await st(ctx).get(ARTIFACT.setupReport);
    // Written before the commit that depends on it; rewriting it is harmless.
    await st(ctx).put(ARTIFACT.summary, runSummary(next, setup));
    save(ctx, prev, next);
    emit(ctx, {
      kind: "RUN_END",
      iteration: null,
      payload: {
        status,
        ...(next.result_summary ? { result_summary: next.result_summary } : {}),
        ...(next.error ? { error: next.error } : {}),
      },
      level: status === "FAILED" ? "ERROR" : "INFO",
    });
    notifyWebhook(ctx, deps, prev.id, status);
    await notifyForge(ctx, store, prev.id, status);
    ctx.setState({ ...ctx.state, phase: "done" });
    ctx.stop();
  }

  /**
   * Ends the run FAILED: an ERROR event naming the stage, then the record
   * finished with the message as its error.
   */
  async function fail(
    ctx: Ctx,
    record: RunRecord,
    failure: {
      stage: string;
      iteration: number | null;
      /** Redacted where it is written (the ERROR event, the record's error). */
      message: string;
      summary: string;
    },
    /** The record to finish from, when this step also changed it (usage). */
    base: RunRecord = record,
  ): Promise<void> {
    emit(ctx, {
      kind: "ERROR",
      iteration: failure.iteration,
      payload: {
        stage: failure.stage,
        message: failure.message,
      },
      level: "ERROR",
    });
    await finish(ctx, record, "FAILED", {
      result_summary: failure.summary,
      error: failure.message,
    }, base);
  }

  /**
   * The live record of a run that is ended from outside its loop (deadline,
   * cancel, a dead letter), with every child already cancelled so none of
   * them acts after the end; null when the run has ended already.
   */
  async function halting(ctx: Ctx): Promise<RunRecord | null> {
    if (ctx.state.phase === "done") return null;
    const record = await live(ctx);
    if (!record) return null;
    for (const child of Object.values(children(record.id))) ctx.cancel(child);
    const attempts = ctx.state.attempts;
    for (const k of attempts ? attemptNumbers(attempts) : []) {
      ctx.cancel(engineerRef(record.id, k));
    }
    return record;
  }

  /** What the run was waiting for when its deadline came, in words (the SE's unfinished tool calls named). */
  async function whatWasRunning(ctx: Ctx): Promise<string> {
    const n = ctx.state.iteration;
    switch (ctx.state.phase) {
      case "preparing":
        return "while preparing the workspace (clone and setup commands)";
      case "engineering": {
        const attempts = ctx.state.attempts;
        if (attempts) {
          const working = attemptNumbers(attempts).filter((k) =>
            attempts.engineered[k] === undefined
          );
          const checking = engineeredAttempts(attempts).filter((k) =>
            attempts.checked[k] === undefined
          );
          return `while ${attempts.count} attempts worked (iteration ${n}; ${
            working.length > 0
              ? `the SE of attempt(s) ${working.join(", ")} had not finished`
              : `the Tool Runner had not checked attempt(s) ${
                checking.join(", ")
              }`
          })`;
        }
        const entries = await retryTransient(() =>
          store.journal<TurnEntry>(ctx.self.id, turnJournalName(n)).load()
        ).catch(() => []);
        const calls = callsInFlight(entries).map((c) =>
          `${c.name} ${
            c.arguments.length > 120
              ? `${c.arguments.slice(0, 120)}…`
              : c.arguments
          }`
        );
        return calls.length > 0
          ? `while the SE's tool call ${
            calls.join(", ")
          } (iteration ${n}) had not returned`
          : `while the SE was working (iteration ${n})`;
      }
      case "applying":
        return `while the Tool Runner applied the changes and ran the acceptance commands (iteration ${n})`;
      case "reviewing":
        return `while the PO reviewed iteration ${n}`;
      case "committing":
      case "finalizing":
        return "while committing and pushing";
      case "pull_request":
        return "while opening the pull request";
      default:
        return `in phase ${ctx.state.phase}`;
    }
  }

  /**
   * A PASS under `approval: before_push`, committed but not pushed: the run
   * waits in AWAITING_APPROVAL with no timer and no pending work, so it holds
   * no worker or lease until an approve or reject message resumes it.
   */
  function holdForApproval(
    ctx: Ctx,
    record: RunRecord,
    commit: string | null,
  ): void {
    save(ctx, record, {
      ...record,
      status: "AWAITING_APPROVAL",
      result_summary: record.push_branch
        ? `Decision: PASS, awaiting approval before push to ${record.push_branch}`
        : "Decision: PASS, awaiting approval (no push_branch set)",
    });
    emit(ctx, {
      kind: "AWAITING_APPROVAL",
      iteration: ctx.state.iteration,
      payload: {
        commit,
        branch: record.push_branch,
      },
    });
    notifyWebhook(ctx, deps, record.id, "AWAITING_APPROVAL");
    ctx.setState({ ...ctx.state, phase: "awaiting_approval", commit });
  }

  /**
   * Goes on to `point` (`prev` becoming `next` in this step) — or, with
   * `on_budget: pause` and a budget reached, stops there PAUSED: no timer, no
   * pending work, so it holds no worker until POST /runs/{id}/resume.
   */
  async function proceed(
    ctx: Ctx,
    prev: RunRecord,
    next: RunRecord,
    point: ResumePoint,
  ): Promise<void> {
    const workOrder = await st(ctx).workOrder(next);
    if (workOrder.on_budget === "pause") {
      const reached = budgetReached(
        next,
        limitsOf(workOrder),
        wallUsedMs(ctx.state),
      );
      if (reached) return pause(ctx, { prev, next, reached, point, workOrder });
    }
    if (next !== prev) save(ctx, prev, next);
    dispatch(ctx, next, point, workOrder);
  }

  /** Sends the work of `point` to its child. */
  function dispatch(
    ctx: Ctx,
    record: RunRecord,
    point: ResumePoint,
    workOrder: WorkOrder,
  ): void {
    ctx.setState({
      ...ctx.state,
      phase: point.phase,
      iteration: point.iteration,
      resumeTo: null,
    });
    const { iteration } = point;
    const kids = children(record.id);
    if (point.phase === "engineering") {
      const budget = turnBudget({
        record,
        limits: limitsOf(workOrder),
        state: ctx.state,
        pause: workOrder.on_budget === "pause",
      });
      const count = attemptCount(workOrder, iteration);
      if (count > 1) {
        // Best-of-N: one SE actor per attempt (owned by the run), in parallel.
        ctx.setState({ ...ctx.state, attempts: startAttempts(count) });
        for (let k = 1; k <= count; k++) {
          const se = ctx.spawn(engineerRef(record.id, k), null);
          ctx.send(se, {
            type: "turn",
            iteration,
            ...base(ctx),
            budget: shareBudget(budget, count),
            attempt: k,
          });
        }
        return;
      }
      ctx.send(kids.se, { type: "turn", iteration, ...base(ctx), budget });
    } else if (point.phase === "applying") {
      ctx.send(kids.tr, { type: "apply", iteration, ...base(ctx) });
    } else {
      const attempts = ctx.state.attempts;
      ctx.send(kids.po, {
        type: "review",
        iteration,
        ...(attempts ? { attempts: engineeredAttempts(attempts) } : {}),
      });
    }
  }

  /** Stops the run PAUSED at `point`, saying which budget it reached. */
  function pause(
    ctx: Ctx,
    step: {
      prev: RunRecord;
      next: RunRecord;
      reached: BudgetReached;
      point: ResumePoint;
      workOrder: WorkOrder;
    },
  ): void {
    const { prev, next, reached, point } = step;
    const usedMs = wallUsedMs(ctx.state);
    const limits = limitsOf(step.workOrder);
    const wallTimeUsedS = Math.round(usedMs / 100) / 10;
    save(ctx, prev, {
      ...next,
      status: "PAUSED",
      iteration: point.iteration,
      pause: {
        reason: reached.reason,
        message: reached.message,
        paused_at: new Date().toISOString(),
        limits,
        wall_time_used_s: wallTimeUsedS,
      },
    });
    emit(ctx, {
      kind: "RUN_PAUSED",
      iteration: point.iteration,
      payload: {
        reason: reached.reason,
        message: reached.message,
        usage: next.usage,
        limits,
        wall_time_used_s: wallTimeUsedS,
        resumes_at: point.phase,
      },
      level: "WARN",
    });
    notifyWebhook(ctx, deps, prev.id, "PAUSED");
    ctx.setState({
      ...ctx.state,
      phase: "paused",
      iteration: point.iteration,
      resumeTo: point,
      wall: { usedMs, since: null },
    });
  }

  /** Charges an SE turn's usage, less the part a pause already charged. */
  function chargeTurn(ctx: Ctx, record: RunRecord, usage: Usage): RunRecord {
    const charged = ctx.state.phase === "engineering"
      ? ctx.state.charged
      : null;
    ctx.setState({ ...ctx.state, charged: null });
    return chargeUsage(record, usageLess(usage, charged));
  }

  /** Starts the work: RUNNING, the deadline, and the workspace's preparation. */
  async function begin(ctx: Ctx, record: RunRecord): Promise<void> {
    // Every run asks the model: without a key it would fail after its setup, so it fails now.
    if (!deps.config.openaiApiKey) {
      ctx.setState({ ...ctx.state, phase: "preparing" });
      await fail(ctx, record, {
        stage: "model",
        iteration: null,
        message:
          "OPENAI_API_KEY is not set on the worker that took this run: set it (any value for a local server that needs none) and restart the service",
        summary: "Failed: no model API key",
      });
      return;
    }
    const workOrder = await st(ctx).workOrder(record);
    const next: RunRecord = {
      ...record,
      status: "RUNNING",
      started_at: new Date().toISOString(),
    };
    save(ctx, record, next);
    emit(ctx, {
      kind: "RUN_START",
      iteration: null,
      payload: {
        max_iterations: record.max_iterations,
      },
    });
    // A model known to be unreachable: the run still goes on (the endpoint
    // may come back), but its log says why its model requests will wait.
    const model = deps.modelCheck?.() ?? null;
    if (model && !model.ok) {
      emit(ctx, {
        kind: "MODEL_UNAVAILABLE",
        iteration: null,
        payload: {
          endpoint: model.endpoint,
          problems: model.problems,
          checked_at: model.checked_at,
          note:
            "the run goes on: its model requests retry for up to AOS_MODEL_RETRY_WINDOW_S (MODEL_RETRY events name each attempt)",
        },
        level: "WARN",
      });
    }
    notifyWebhook(ctx, deps, record.id, "RUNNING");
    ctx.setState({
      ...ctx.state,
      phase: "preparing",
      wall: { usedMs: 0, since: Date.now() },
    });
    // on_budget: pause watches the wall time between steps (a pause stops its clock).
    if (workOrder.on_budget !== "pause") {
      ctx.after(workOrder.max_wall_time_s * 1000, {
        type: "deadline",
      });
    }
    ctx.send(children(record.id).tr, { type: "prepare" });
  }

  function chargeUsage(record: RunRecord, usage: Usage): RunRecord {
    const sum = sumUsage(record.usage, usage);
    // Rounded to micro-dollars so float noise never accumulates in the record.
    return {
      ...record,
      usage: { ...sum, cost_usd: Math.round(sum.cost_usd * 1e6) / 1e6 },
    };
  }

  /** Best-of-N: attempt K's SE turn ended; its usage is charged and the TR checks it at once. */
  async function attemptEngineered(
    ctx: Ctx,
    msg: Extract<RunMessage, { type: "se_done" }>,
  ): Promise<void> {
    const record = await awaiting(ctx, "engineering", msg.iteration);
    const attempts = ctx.state.attempts;
    const k = msg.attempt;
    // A redelivered reply of an attempt already recorded changes nothing.
    if (!record || !attempts || k === undefined || k in attempts.engineered) {
      return;
    }
    emit(ctx, {
      kind: "SE_OUTPUT",
      iteration: msg.iteration,
      payload: {
        attempt: k,
        writes: msg.writes,
        deletes: msg.deletes,
        summary: msg.summary,
        usage: msg.usage,
      },
    });
    save(ctx, record, chargeUsage(record, msg.usage));
    ctx.setState({
      ...ctx.state,
      attempts: {
        ...attempts,
        engineered: { ...attempts.engineered, [k]: true },
      },
    });
    ctx.send(children(record.id).tr, {
      type: "apply",
      iteration: msg.iteration,
      ...base(ctx),
      attempt: k,
    });
  }

  /** Best-of-N: the TR checked attempt K; once all are checked, the PO reviews. */
  async function attemptChecked(
    ctx: Ctx,
    msg: Extract<RunMessage, { type: "tr_done" }>,
  ): Promise<void> {
    const record = await awaiting(ctx, "engineering", msg.iteration);
    const attempts = ctx.state.attempts;
    const k = msg.attempt;
    if (!record || !attempts || k === undefined || k in attempts.checked) {
      return;
    }
    emit(ctx, {
      kind: "TR_APPLY",
      iteration: msg.iteration,
      payload: {
        attempt: k,
        applied: msg.applied,
        rejected: msg.rejected,
        ok: msg.ok,
        failed_commands: msg.failedCommands,
      },
      level: msg.ok ? "INFO" : "WARN",
    });
    const reason = checkedDropReason(msg);
    await attemptSettled(ctx, record, {
      ...attempts,
      checked: {
        ...attempts.checked,
        [k]: { passes: reason === null, reason },
      },
    });
  }

  /** Best-of-N: attempt K's SE turn failed (the model API, a dead letter): it is dropped. */
  async function attemptFailed(
    ctx: Ctx,
    msg: Extract<RunMessage, { type: "failed" }>,
  ): Promise<void> {
    const attempts = ctx.state.attempts;
    const k = msg.attempt;
    if (
      !attempts || k === undefined || ctx.state.phase !== "engineering" ||
      k in attempts.engineered
    ) return;
    const record = await live(ctx);
    if (!record) return;
    const next = msg.usage ? chargeUsage(record, msg.usage) : record;
    if (next !== record) save(ctx, record, next);
    const reason = `the SE turn failed: ${deps.redactor.redact(msg.message)}`;
    emit(ctx, {
      kind: "ATTEMPTS_DROPPED",
      iteration: msg.iteration,
      payload: {
        attempts: [k],
        reason,
      },
      level: "WARN",
    });
    await attemptSettled(ctx, next, {
      ...attempts,
      engineered: { ...attempts.engineered, [k]: false },
      checked: { ...attempts.checked, [k]: { passes: false, reason } },
    }, record);
  }

  /**
   * Records `attempts`; once every attempt is settled, the PO reviews those
   * with a packet (the ones failing acceptance are announced as dropped), or
   * the run fails when no attempt's SE turn ended.
   */
  async function attemptSettled(
    ctx: Ctx,
    record: RunRecord,
    attempts: NonNullable<RunState["attempts"]>,
    /** The record as loaded, when this step changed it already (saved). */
    prev: RunRecord = record,
  ): Promise<void> {
    ctx.setState({ ...ctx.state, attempts });
    if (!allChecked(attempts)) return;
    const n = ctx.state.iteration;
    if (engineeredAttempts(attempts).length === 0) {
      await fail(ctx, prev, {
        stage: "engineer",
        iteration: n,
        message: `Every attempt's SE turn failed (${
          attemptNumbers(attempts).map((k) =>
            `attempt ${k}: ${attempts.checked[k]?.reason}`
          ).join("; ")
        })`,
        summary: "Failed during engineer",
      }, record);
      return;
    }
    const dropped = droppedBeforeReview(attempts);
    if (dropped) {
      emit(ctx, {
        kind: "ATTEMPTS_DROPPED",
        iteration: n,
        payload: dropped,
        level: "WARN",
      });
    }
    await proceed(ctx, record, record, { phase: "reviewing", iteration: n });
  }

  return defineActor<RunState, RunMessage>({
    type: ACTOR.run,
    messages: runMessages,
    initialState: () => ({ phase: "new", iteration: 0, baseCommit: null }),
    handlers: {
      async start(ctx) {
        const record = await awaiting(ctx, "new");
        if (!record) return;
        if (record.status === "AWAITING_APPROVAL") {
          // A trigger from an untrusted author: nothing runs (no clone, no
          // model call) until a maintainer approves; no timer, no lease held.
          emit(ctx, {
            kind: "AWAITING_APPROVAL",
            iteration: null,
            payload: {
              commit: null,
              branch: record.push_branch,
              before: "start",
            },
          });
          notifyWebhook(ctx, deps, record.id, "AWAITING_APPROVAL");
          ctx.setState({ ...ctx.state, phase: "awaiting_start" });
          return;
        }
        await begin(ctx, record);
      },

      async prepared(ctx, msg) {
        const record = await awaiting(ctx, "preparing");
        if (!record) return;
        const iteration = 1;
        emit(ctx, {
          kind: "WORKSPACE_READY",
          iteration: null,
          payload: { base_commit: msg.baseCommit },
        });
        ctx.setState({ ...ctx.state, baseCommit: msg.baseCommit });
        await proceed(ctx, record, {
          ...record,
          iteration,
          ...(msg.pushBranch ? { push_branch: msg.pushBranch } : {}),
        }, { phase: "engineering", iteration });
      },

      async se_done(ctx, msg) {
        if (msg.attempt !== undefined) return await attemptEngineered(ctx, msg);
        const record = await awaiting(ctx, "engineering", msg.iteration);
        if (!record) return;
        emit(ctx, {
          kind: "SE_OUTPUT",
          iteration: msg.iteration,
          payload: {
            writes: msg.writes,
            deletes: msg.deletes,
            summary: msg.summary,
            usage: msg.usage,
          },
        });
        await proceed(ctx, record, chargeTurn(ctx, record, msg.usage), {
          phase: "applying",
          iteration: msg.iteration,
        });
      },

      async tr_done(ctx, msg) {
        if (msg.attempt !== undefined) return await attemptChecked(ctx, msg);
        const record = await awaiting(ctx, "applying", msg.iteration);
        if (!record) return;
        emit(ctx, {
          kind: "TR_APPLY",
          iteration: msg.iteration,
          payload: {
            applied: msg.applied,
            rejected: msg.rejected,
            ok: msg.ok,
            failed_commands: msg.failedCommands,
          },
          level: msg.ok ? "INFO" : "WARN",
        });
        await proceed(ctx, record, record, {
          phase: "reviewing",
          iteration: msg.iteration,
        });
      },

      async po_done(ctx, msg) {
        const prev = await awaiting(ctx, "reviewing", msg.iteration);
        if (!prev) return;
        const record = chargeUsage(prev, msg.usage);
        emit(ctx, {
          kind: "PO_RESULT",
          iteration: msg.iteration,
          payload: {
            ...(msg.attempt === undefined ? {} : { attempt: msg.attempt }),
            decision: msg.decision,
            feedback: msg.feedback,
            usage: msg.usage,
          },
          level: msg.decision === "PASS" ? "INFO" : "WARN",
        });
        if (msg.attempt !== undefined) {
          const candidates = msg.candidates ?? [];
          emit(ctx, {
            kind: "ATTEMPT_PICKED",
            iteration: msg.iteration,
            payload: {
              attempt: msg.attempt,
              decision: msg.decision,
              candidates,
              reason: pickReason({
                decision: msg.decision,
                candidates,
                iteration: msg.iteration,
              }),
            },
          });
        }
        // The picked attempt's packet is the iteration's now; later iterations run one SE.
        if (ctx.state.attempts) ctx.setState({ ...ctx.state, attempts: null });
        if (msg.decision === "PASS") {
          save(ctx, prev, record);
          // approval: before_push commits only; the push waits for a person.
          const { approval } = await st(ctx).workOrder(record);
          const hold = approval === "before_push";
          ctx.setState({
            ...ctx.state,
            phase: hold ? "committing" : "finalizing",
          });
          ctx.send(children(record.id).tr, {
            type: "finalize",
            iteration: msg.iteration,
            ...base(ctx),
            ...(hold ? { push: false } : {}),
          });
          return;
        }
        if (msg.iteration >= record.max_iterations) {
          await finish(ctx, prev, "FAILED", {
            result_summary:
              `Decision: FAIL after ${msg.iteration} iteration(s) (max_iterations reached)`,
            error: `Last feedback: ${msg.feedback}`,
          }, record);
          return;
        }
        // Another iteration could not ask the model anything (on_budget: pause stops here instead).
        const workOrder = await st(ctx).workOrder(record);
        const reached = workOrder.on_budget === "pause" ? null : budgetReached(
          record,
          { ...limitsOf(workOrder), max_wall_time_s: Infinity },
          0,
        );
        if (reached) {
          const used = reached.reason === "max_cost_usd"
            ? "cost budget"
            : "token budget";
          await finish(ctx, prev, "FAILED", {
            result_summary:
              `Decision: FAIL after ${msg.iteration} iteration(s) (${used} used up)`,
            error: `${reached.message}. Last feedback: ${msg.feedback}`,
          }, record);
          return;
        }
        const iteration = msg.iteration + 1;
        await proceed(ctx, prev, { ...record, iteration }, {
          phase: "engineering",
          iteration,
        });
      },

      async finalized(ctx, msg) {
        if (ctx.state.phase === "committing") {
          const record = await awaiting(ctx, "committing");
          if (record) holdForApproval(ctx, record, msg.commit);
          return;
        }
        const record = await awaiting(ctx, "finalizing");
        if (!record) return;
        emit(ctx, {
          kind: "PUSH",
          iteration: ctx.state.iteration,
          payload: {
            branch: msg.branch,
            commit: msg.commit,
            pushed: msg.pushed,
          },
        });
        const summary = msg.pushed && msg.branch
          ? `Decision: PASS, pushed to ${msg.branch}`
          : "Decision: PASS (no push_branch set, nothing pushed)";
        const workOrder = await st(ctx).workOrder(record);
        if (msg.pushed && msg.branch && workOrder.pull_request) {
          ctx.setState({ ...ctx.state, phase: "pull_request" });
          ctx.send(pullRequestRef(record.id), {
            type: "open",
            iteration: ctx.state.iteration,
            branch: msg.branch,
          });
          return;
        }
        await finish(ctx, record, "SUCCEEDED", { result_summary: summary });
      },

      async pr_done(ctx, msg) {
        const record = await awaiting(ctx, "pull_request");
        if (!record) return;
        emit(ctx, {
          kind: msg.action === "opened" ? "PR_OPENED" : "PR_UPDATED",
          iteration: ctx.state.iteration,
          payload: {
            url: msg.url,
            number: msg.number,
            branch: record.push_branch,
          },
        });
        await finish(ctx, record, "SUCCEEDED", {
          result_summary:
            `Decision: PASS, pushed to ${record.push_branch}, pull request ${msg.url}`,
        }, { ...record, pull_request_url: msg.url });
      },

      async failed(ctx, msg) {
        if (ctx.state.phase === "done" || ctx.state.phase === "new") return;
        // One attempt's SE turn failed: that attempt is dropped, the others go on.
        if (
          msg.attempt !== undefined && msg.stage === "engineer" &&
          ctx.state.attempts
        ) return await attemptFailed(ctx, msg);
        const record = await live(ctx);
        if (!record) return;
        await fail(ctx, record, {
          stage: msg.stage,
          iteration: msg.iteration,
          message: msg.message,
          summary: `Failed during ${msg.stage}`,
        }, msg.usage ? chargeTurn(ctx, record, msg.usage) : record);
      },

      async budget_reached(ctx, msg) {
        const record = await awaiting(ctx, "engineering", msg.iteration);
        if (!record) return;
        const workOrder = await st(ctx).workOrder(record);
        const next = chargeTurn(ctx, record, msg.usage);
        // The whole turn so far is in the record now; its end charges only the rest.
        ctx.setState({ ...ctx.state, charged: msg.usage });
        pause(ctx, {
          prev: record,
          next,
          reached: {
            reason: TURN_END_REASON[msg.reason] ?? "max_total_tokens",
            message: msg.message,
          },
          point: { phase: "engineering", iteration: msg.iteration },
          workOrder,
        });
      },

      async resume(ctx, msg) {
        const record = await awaiting(ctx, "paused");
        const point = ctx.state.resumeTo;
        if (!record || !point) return;
        const workOrder = await st(ctx).workOrder(record);
        const before = limitsOf(workOrder);
        const limits = raisedLimits(before, msg.limits);
        const usedMs = wallUsedMs(ctx.state);
        const still = budgetReached(record, limits, usedMs);
        if (still) {
          // The API refuses such a resume; one racing another stays paused, and says why.
          emit(ctx, {
            kind: "RESUME_REFUSED",
            iteration: point.iteration,
            payload: {
              message: still.message,
              limits,
            },
            level: "WARN",
          });
          return;
        }
        const next: RunRecord = {
          ...record,
          status: "RUNNING",
          pause: null,
          limits,
        };
        save(ctx, record, next);
        emit(ctx, {
          kind: "RUN_RESUMED",
          iteration: point.iteration,
          payload: {
            limits,
            previous_limits: before,
            wall_time_used_s: Math.round(usedMs / 100) / 10,
            resumes_at: point.phase,
          },
        });
        notifyWebhook(ctx, deps, record.id, "RUNNING");
        ctx.setState({ ...ctx.state, wall: { usedMs, since: Date.now() } });
        dispatch(ctx, next, point, { ...workOrder, ...limits });
      },

      async approve(ctx, msg) {
        if (ctx.state.phase === "awaiting_start") {
          const held = await awaiting(ctx, "awaiting_start");
          if (!held) return;
          emit(ctx, {
            kind: "RUN_APPROVED",
            iteration: null,
            payload: {
              commit: null,
              before: "start",
              ...(msg.comment ? { comment: msg.comment } : {}),
            },
          });
          await begin(ctx, held);
          return;
        }
        const record = await awaiting(ctx, "awaiting_approval");
        if (!record) return;
        save(ctx, record, { ...record, status: "RUNNING" });
        emit(ctx, {
          kind: "RUN_APPROVED",
          iteration: ctx.state.iteration,
          payload: {
            commit: ctx.state.commit ?? null,
            ...(msg.comment ? { comment: msg.comment } : {}),
          },
        });
        ctx.setState({ ...ctx.state, phase: "finalizing" });
        // The same deterministic commit, now pushed (and its PR opened by `finalized`).
        ctx.send(children(record.id).tr, {
          type: "finalize",
          iteration: ctx.state.iteration,
          ...base(ctx),
        });
      },

      async reject(ctx, msg) {
        const record = await awaiting(
          ctx,
          ctx.state.phase === "awaiting_start"
            ? "awaiting_start"
            : "awaiting_approval",
        );
        if (!record) return;
        emit(ctx, {
          kind: "RUN_REJECTED",
          iteration: ctx.state.iteration,
          payload: {
            commit: ctx.state.commit ?? null,
            ...(msg.comment ? { comment: msg.comment } : {}),
          },
          level: "WARN",
        });
        await finish(ctx, record, "REJECTED", {
          result_summary: msg.comment
            ? `Rejected: ${deps.redactor.redact(msg.comment)}`
            : "Rejected",
        });
      },

      async deadline(ctx) {
        // The wall-time limit bounds the work, not a person's days-long decision.
        if (
          ctx.state.phase === "awaiting_approval" ||
          ctx.state.phase === "paused"
        ) return;
        const record = await halting(ctx);
        if (!record) return;
        const limit = (await st(ctx).workOrder(record)).max_wall_time_s;
        await fail(ctx, record, {
          stage: "deadline",
          iteration: ctx.state.iteration || null,
          message:
            `Run exceeded its wall time limit of ${limit} s ${await whatWasRunning(
              ctx,
            )}`,
          summary: "Failed: wall time exceeded",
        });
      },

      async cancel(ctx) {
        const record = await halting(ctx);
        if (!record) return;
        emit(ctx, {
          kind: "RUN_CANCELLED",
          iteration: ctx.state.iteration || null,
          payload: {
            phase: ctx.state.phase,
          },
          level: "WARN",
        });
        await finish(ctx, record, "CANCELLED", {
          result_summary: "Cancelled",
        });
      },
    },

    // A message of the run itself died (its own handler failing every
    // attempt, or a child's `failed` that could not be handled): nothing
    // else would end the run, so it ends here, FAILED with the reason.
    async onDeadLetter(ctx, dl) {
      const record = await halting(ctx);
      if (!record) return;
      await fail(ctx, record, {
        stage: "run",
        iteration: ctx.state.iteration || null,
        message: deadLetterReason(dl),
        summary: "Failed: a message of the run could not be handled",
      });
    },
  });
}
