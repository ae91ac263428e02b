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
import {
  createRun,
  sampleRun,
  withStore,
} from "../../lib/store/test_support.ts";
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
async function harness(store: RunStore, env: Record<string, string> = {}) {
  const record = await createRun(store, sampleRun());
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
