/**
 * The run actor's phase logic, one message at a time (runtime/testing.ts
 * `stepOnce`): no system, no children, a real store. Each step's writes are
 * committed before the next, as the runtime would.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { stepOnce, type StepOutcome } from "../../runtime/testing.ts";
import { loadConfig } from "../../lib/config.ts";
import { Redactor } from "../../lib/redact.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { createRun, sampleRun, withStore } from "../../lib/store/testing.ts";
import type { FactoryDeps } from "../support/deps.ts";
import { ACTOR } from "../support/deps.ts";
import type { RunMessage, RunState } from "./messages.ts";
import { runActor } from "./mod.ts";

const USAGE = {
  prompt_tokens: 10,
  completion_tokens: 5,
  total_tokens: 15,
  cached_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: 0,
};

function depsFor(store: RunStore, env: Record<string, string> = {}) {
  const deps: FactoryDeps = {
    config: loadConfig({ OPENAI_API_KEY: "sk-test", ...env }),
    store,
    redactor: new Redactor(["sk-secret-value"]),
    sandboxMode: "none",
    modelFor: () => {
      throw new Error("the run actor asks no model");
    },
  };
  return deps;
}

/** A run in the store and a stepper that commits each step's writes. */
async function harness(
  store: RunStore,
  env: Record<string, string> = {},
  workOrderMd?: string,
) {
  const record = await createRun(
    store,
    sampleRun(workOrderMd ? { work_order_md: workOrderMd } : {}),
  );
  const def = runActor(depsFor(store, env));
  let state: RunState = def.initialState(undefined);
  return {
    id: record.id,
    get state() {
      return state;
    },
    set state(next: RunState) {
      state = next;
    },
    async step(msg: RunMessage): Promise<StepOutcome<RunState>> {
      const outcome = await stepOnce(def, state, msg, { id: record.id });
      await store.applyMutations(outcome.writes);
      state = outcome.state;
      return outcome;
    },
  };
}

/** A turn message without its budget (a budget of its own, checked where budgets are). */
const turnOf = (s: { msg: unknown }) => {
  const { budget: _budget, ...rest } = s.msg as Record<string, unknown>;
  return rest;
};
const kinds = (o: StepOutcome<unknown>) => o.events.map((e) => e.kind);
const sentTo = (o: StepOutcome<unknown>) =>
  o.sends.map((s) => `${s.to.type}:${s.msg.type}`);

Deno.test("run actor: start marks the run RUNNING, sets its deadline and asks the Tool Runner to prepare", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    const before = Date.now();
    const out = await run.step({ type: "start" });
    assertEquals(run.state.phase, "preparing");
    assertEquals(kinds(out), ["RUN_START"]);
    assertEquals(sentTo(out), [`${ACTOR.toolRunner}:prepare`]);
    assertEquals(out.timers.map((t) => t.msg.type), ["deadline"]);
    // max_wall_time_s defaults to 1800 s.
    assert(out.timers[0]!.due >= before + 1_800_000);
    assertEquals((await store.getRun(run.id)).status, "RUNNING");
    // A second start (a redelivery) finds the run past "new": nothing happens.
    const again = await run.step({ type: "start" });
    assertEquals([again.events, again.sends, again.writes], [[], [], []]);
  });
});

Deno.test("run actor: start without OPENAI_API_KEY fails the run at once, naming the variable", async () => {
  await withStore(async (store) => {
    const run = await harness(store, { OPENAI_API_KEY: "" });
    const out = await run.step({ type: "start" });
    assertEquals(kinds(out), ["ERROR", "RUN_END"]);
    assert(out.stopped);
    assertEquals(run.state.phase, "done");
    const record = await store.getRun(run.id);
    assertEquals(record.status, "FAILED");
    assert(record.error?.includes("OPENAI_API_KEY"), record.error ?? "");
    assertEquals(out.sends, []);
  });
});

Deno.test("run actor: prepared starts iteration 1 with the base commit; a stale or duplicate reply is dropped", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    // Before start the run is not preparing: a stray reply does nothing.
    const early = await run.step({
      type: "prepared",
      baseCommit: "a".repeat(40),
    });
    assertEquals([early.events, early.sends, early.writes], [[], [], []]);
    await run.step({ type: "start" });
    const out = await run.step({
      type: "prepared",
      baseCommit: "b".repeat(40),
    });
    assertEquals(kinds(out), ["WORKSPACE_READY"]);
    const { phase, iteration, baseCommit } = run.state;
    assertEquals({ phase, iteration, baseCommit }, {
      phase: "engineering",
      iteration: 1,
      baseCommit: "b".repeat(40),
    });
    assertEquals(out.sends.map(turnOf), [{
      type: "turn",
      iteration: 1,
      baseCommit: "b".repeat(40),
    }]);
    const dup = await run.step({
      type: "prepared",
      baseCommit: "c".repeat(40),
    });
    assertEquals([dup.events, dup.sends], [[], []]);
    assertEquals(run.state.baseCommit, "b".repeat(40));
  });
});

Deno.test("run actor: SE → TR → PO FAIL starts the next iteration; a reply for another iteration is dropped", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    await run.step({ type: "start" });
    await run.step({ type: "prepared", baseCommit: "b".repeat(40) });
    const stale = await run.step({
      type: "se_done",
      iteration: 2,
      writes: 1,
      deletes: 0,
      summary: "x",
      usage: USAGE,
    });
    assertEquals([stale.events, stale.sends], [[], []]);
    const se = await run.step({
      type: "se_done",
      iteration: 1,
      writes: 1,
      deletes: 0,
      summary: "added it",
      usage: USAGE,
    });
    assertEquals(kinds(se), ["SE_OUTPUT"]);
    assertEquals(sentTo(se), [`${ACTOR.toolRunner}:apply`]);
    assertEquals(run.state.phase, "applying");
    assertEquals((await store.getRun(run.id)).usage.total_tokens, 15);
    const tr = await run.step({
      type: "tr_done",
      iteration: 1,
      applied: 1,
      rejected: 0,
      ok: false,
      failedCommands: 1,
    });
    assertEquals(tr.events.map((e) => [e.kind, e.level]), [[
      "TR_APPLY",
      "WARN",
    ]]);
    assertEquals(sentTo(tr), [`${ACTOR.productOwner}:review`]);
    const po = await run.step({
      type: "po_done",
      iteration: 1,
      decision: "FAIL",
      feedback: "tests fail",
      usage: USAGE,
    });
    assertEquals(kinds(po), ["PO_RESULT"]);
    assertEquals(run.state.phase, "engineering");
    assertEquals(run.state.iteration, 2);
    assertEquals(po.sends.map(turnOf), [{
      type: "turn",
      iteration: 2,
      baseCommit: "b".repeat(40),
    }]);
    const record = await store.getRun(run.id);
    assertEquals([record.iteration, record.usage.total_tokens], [2, 30]);
  });
});

Deno.test("run actor: PO FAIL at max_iterations ends the run FAILED with the last feedback", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    await run.step({ type: "start" });
    await run.step({ type: "prepared", baseCommit: "b".repeat(40) });
    // As if four iterations had gone by.
    run.state = { ...run.state, phase: "reviewing", iteration: 5 };
    const out = await run.step({
      type: "po_done",
      iteration: 5,
      decision: "FAIL",
      feedback: "still wrong",
      usage: USAGE,
    });
    assertEquals(kinds(out), ["PO_RESULT", "RUN_END"]);
    assert(out.stopped);
    assertEquals(out.sends, []);
    const record = await store.getRun(run.id);
    assertEquals(record.status, "FAILED");
    assert(record.result_summary?.includes("max_iterations"));
    assertEquals(record.error, "Last feedback: still wrong");
  });
});

Deno.test("run actor: PO PASS finalizes, and a push without pull_request ends SUCCEEDED", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    await run.step({ type: "start" });
    await run.step({ type: "prepared", baseCommit: "b".repeat(40) });
    run.state = { ...run.state, phase: "reviewing" };
    const po = await run.step({
      type: "po_done",
      iteration: 1,
      decision: "PASS",
      feedback: "good",
      usage: USAGE,
    });
    assertEquals(run.state.phase, "finalizing");
    assertEquals(po.sends.map((s) => s.msg), [{
      type: "finalize",
      iteration: 1,
      baseCommit: "b".repeat(40),
    }]);
    const done = await run.step({
      type: "finalized",
      commit: "c".repeat(40),
      pushed: true,
      branch: "aos/x",
    });
    assertEquals(kinds(done), ["PUSH", "RUN_END"]);
    const record = await store.getRun(run.id);
    assertEquals(record.status, "SUCCEEDED");
    assertEquals(record.result_summary, "Decision: PASS, pushed to aos/x");
  });
});

Deno.test("run actor: a child's failure ends the run FAILED with its stage, redacted; before start it is ignored", async () => {
  await withStore(async (store) => {
    const run = await harness(store);
    const early = await run.step({
      type: "failed",
      stage: "setup",
      message: "x",
      iteration: null,
    });
    assertEquals([early.events, early.writes], [[], []]);
    await run.step({ type: "start" });
    const out = await run.step({
      type: "failed",
      stage: "setup",
      message: "npm ci failed with token sk-secret-value",
      iteration: null,
    });
    assertEquals(kinds(out), ["ERROR", "RUN_END"]);
    const error = out.events[0]!.payload as { stage: string; message: string };
    assertEquals(error.stage, "setup");
    assert(!error.message.includes("sk-secret-value"), error.message);
    const record = await store.getRun(run.id);
    assertEquals(record.status, "FAILED");
    assert(!record.error?.includes("sk-secret-value"));
  });
});

Deno.test("run actor: best-of-N runs each attempt's SE in parallel and counts each reply once per (iteration, attempt)", async () => {
  await withStore(async (store) => {
    const run = await harness(
      store,
      {},
      "---\nrepo: https://github.com/user/repo\nattempts: 3\nmax_total_tokens: 3000\n---\n\nDo it.\n",
    );
    await run.step({ type: "start" });
    const prepared = await run.step({
      type: "prepared",
      baseCommit: "b".repeat(40),
    });
    // One SE actor per attempt, spawned by the run (which owns their events).
    assertEquals(
      prepared.spawns.map((s) => s.to.id),
      [1, 2, 3].map((k) => `${run.id}.attempt-${k}`),
    );
    assertEquals(
      prepared.sends.map((s) => {
        const msg = s.msg as { attempt?: number; budget?: { tokens: number } };
        return [s.to.id, msg.attempt, msg.budget?.tokens];
      }),
      // The budget is shared: each attempt may spend a third of it.
      [1, 2, 3].map((k) => [`${run.id}.attempt-${k}`, k, 1000]),
    );
    const seDone = (attempt: number) =>
      run.step({
        type: "se_done",
        iteration: 1,
        attempt,
        writes: 1,
        deletes: 0,
        summary: `attempt ${attempt}`,
        usage: USAGE,
      });
    const first = await seDone(2);
    assertEquals(kinds(first), ["SE_OUTPUT"]);
    assertEquals(first.sends.map((s) => s.msg), [{
      type: "apply",
      iteration: 1,
      baseCommit: "b".repeat(40),
      attempt: 2,
    }]);
    // The same reply again (a redelivery): nothing is charged or sent twice.
    const again = await seDone(2);
    assertEquals([again.events, again.sends, again.writes], [[], [], []]);
    await seDone(1);
    // Attempt 3's SE fails: it is dropped, its usage still charged.
    const failed = await run.step({
      type: "failed",
      stage: "engineer",
      iteration: 1,
      attempt: 3,
      message: "model down sk-secret-value",
      usage: USAGE,
    });
    assertEquals(kinds(failed), ["ATTEMPTS_DROPPED"]);
    assert(!JSON.stringify(failed.events).includes("sk-secret-value"));
    assertEquals((await store.getRun(run.id)).usage.total_tokens, 45);
    const trDone = (attempt: number, ok: boolean) =>
      run.step({
        type: "tr_done",
        iteration: 1,
        attempt,
        applied: 1,
        rejected: 0,
        ok,
        failedCommands: ok ? 0 : 1,
        changed: true,
      });
    const checked2 = await trDone(2, true);
    assertEquals([kinds(checked2), checked2.sends], [["TR_APPLY"], []]);
    assertEquals((await trDone(2, true)).events, []);
    const last = await trDone(1, false);
    assertEquals(kinds(last), ["TR_APPLY", "ATTEMPTS_DROPPED"]);
    assertEquals(last.events[1]!.payload, {
      attempts: [1],
      reason: "acceptance commands failed",
    });
    // The PO reviews the attempts that have a packet (it drops 1 itself).
    assertEquals(last.sends.map((s) => s.msg), [{
      type: "review",
      iteration: 1,
      attempts: [1, 2],
    }]);
    assertEquals(run.state.phase, "reviewing");
    const po = await run.step({
      type: "po_done",
      iteration: 1,
      decision: "PASS",
      feedback: "good",
      usage: USAGE,
      attempt: 2,
      candidates: [2],
    });
    assertEquals(kinds(po), ["PO_RESULT", "ATTEMPT_PICKED"]);
    assertEquals(run.state.attempts, null);
    assertEquals((await store.getRun(run.id)).usage.total_tokens, 60);
  });
});

Deno.test("run actor: a cancel during best-of-N attempts cancels every attempt's SE", async () => {
  await withStore(async (store) => {
    const run = await harness(
      store,
      {},
      "---\nrepo: https://github.com/user/repo\nattempts: 2\n---\n\nDo it.\n",
    );
    await run.step({ type: "start" });
    await run.step({ type: "prepared", baseCommit: "b".repeat(40) });
    const out = await run.step({ type: "cancel" });
    const ids = out.cancels.map((c) => c.id);
    assert(ids.includes(`${run.id}.attempt-1`), ids.join());
    assert(ids.includes(`${run.id}.attempt-2`), ids.join());
    assertEquals((await store.getRun(run.id)).status, "CANCELLED");
  });
});
