/**
 * The station handle over a real store, one step at a time (runtime/testing.ts
 * `stepOnce`): the run's work order parsed with defaults, `once` reusing what
 * is stored, stored values that do not parse named, events and failures
 * redacted on their way out.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { z } from "zod";
import { defineActor } from "../../runtime/mod.ts";
import { stepOnce } from "../../runtime/testing.ts";
import { loadConfig } from "../../lib/config.ts";
import { Redactor } from "../../lib/redact.ts";
import type { RunStore } from "../../lib/store/mod.ts";
import { createRun, sampleRun, withStore } from "../../lib/store/testing.ts";
import { ARTIFACT, StoredValueError } from "../../lib/factory/mod.ts";
import { parseWorkOrder } from "../../lib/work_order/mod.ts";
import type { FactoryDeps } from "./deps.ts";
import { type Station, station } from "./station.ts";

const SECRET = "sk-station-secret-value-123";

function depsFor(store: RunStore): FactoryDeps {
  return {
    config: loadConfig({ OPENAI_API_KEY: "sk-test" }),
    store,
    redactor: new Redactor([SECRET]),
    sandboxMode: "none",
    modelFor: () => {
      throw new Error("no model here");
    },
  };
}

/** Runs `body` as one step of an actor owned by run `runId`; returns the step's effects. */
async function step(
  store: RunStore,
  runId: string,
  body: (st: Station) => Promise<void>,
) {
  const def = defineActor<null, { type: "go" }>({
    type: "probe",
    messages: z.object({ type: z.literal("go") }),
    initialState: () => null,
    handlers: {
      go: (ctx) => body(station(ctx, depsFor(store), { iteration: 2 })),
    },
  });
  return await stepOnce(def, null, { type: "go" as const }, {
    id: runId,
    owner: { type: "run", id: runId },
  });
}

const REPORT = {
  iteration: 2,
  base_commit: "abc",
  applied: 1,
  rejected: [],
  commands: [],
  ok: true,
  diff: `+token=${SECRET}\n`,
};

Deno.test("station run() reads a work order stored without a newer defaulted field with its default", async () => {
  await withStore(async (store) => {
    const workOrder = JSON.parse(JSON.stringify(
      parseWorkOrder("---\nrepo: /tmp/r\nmax_iterations: 3\n---\nTask\n"),
    ));
    // Stored by a build that had neither field.
    delete workOrder.on_budget;
    delete workOrder.approval;
    const record = await createRun(store, sampleRun(), { workOrder });
    await step(store, record.id, async (st) => {
      const run = await st.run();
      assert(run);
      assertEquals(run.workOrder.on_budget, "fail");
      assertEquals(run.workOrder.approval, "none");
      assertEquals(run.workOrder.max_iterations, 3);
    });
  });
});

Deno.test("station run() names a stored work order that does not parse", async () => {
  await withStore(async (store) => {
    const record = await createRun(store, sampleRun(), {
      workOrder: { repo: "/tmp/r", task: "t", max_iterations: "many" },
    });
    await step(store, record.id, async (st) => {
      await assertRejects(
        () => st.run(),
        /Stored work order of run '.*' does not parse: max_iterations/,
      );
    });
  });
});

Deno.test("station once() computes, redacts and stores once; a redelivery reuses the stored value", async () => {
  await withStore(async (store) => {
    const record = await createRun(store, sampleRun());
    let computed = 0;
    const compute = () => {
      computed++;
      return Promise.resolve(REPORT);
    };
    for (let delivery = 1; delivery <= 2; delivery++) {
      await step(store, record.id, async (st) => {
        const report = await st.once(ARTIFACT.toolReport(2), compute);
        assertEquals(report.diff, "+token=[REDACTED]\n");
      });
    }
    assertEquals(computed, 1);
    const { body } = await store.getArtifact(
      record.id,
      "tool_report_iter_2.json",
    );
    assert(!new TextDecoder().decode(body).includes(SECRET));
  });
});

Deno.test("station get() and once() name a stored artifact that does not parse", async () => {
  await withStore(async (store) => {
    const record = await createRun(store, sampleRun());
    await store.putArtifact(
      record.id,
      "tool_report_iter_2.json",
      JSON.stringify({ ...REPORT, ok: "yes" }),
      "application/json",
    );
    await step(store, record.id, async (st) => {
      for (
        const read of [
          () => st.get(ARTIFACT.toolReport(2)),
          () => st.once(ARTIFACT.toolReport(2), () => Promise.resolve(REPORT)),
        ]
      ) {
        await assertRejects(
          read,
          (error: unknown) =>
            error instanceof StoredValueError &&
            /Stored artifact 'tool_report_iter_2\.json' does not parse: ok/
              .test(error.message),
        );
      }
    });
  });
});

Deno.test("station emit() writes typed events redacted, at the step's iteration, and refuses an undeclared kind", async () => {
  await withStore(async (store) => {
    const record = await createRun(store, sampleRun());
    const out = await step(store, record.id, (st) => {
      st.emit({
        kind: "ERROR",
        payload: { stage: "push", message: `denied for ${SECRET}` },
        level: "ERROR",
      });
      st.emit({
        kind: "RUN_CANCELLED",
        iteration: null,
        payload: { phase: "x" },
      });
      st.emitReported([{ kind: "NOT_A_KIND", level: "INFO", payload: {} }]);
      return Promise.resolve();
    }).catch((error: unknown) => error);
    assert(out instanceof TypeError, String(out));
    assert(/'NOT_A_KIND' is not declared/.test(out.message));
    const ok = await step(store, record.id, (st) => {
      st.emit({
        kind: "ERROR",
        payload: { stage: "push", message: `denied for ${SECRET}` },
        level: "ERROR",
      });
      st.emit({
        kind: "RUN_CANCELLED",
        iteration: null,
        payload: { phase: "x" },
      });
      return Promise.resolve();
    });
    assertEquals(ok.events, [
      {
        kind: "ERROR",
        level: "ERROR",
        iteration: 2,
        payload: { stage: "push", message: "denied for [REDACTED]" },
      },
      {
        kind: "RUN_CANCELLED",
        level: "INFO",
        iteration: null,
        payload: { phase: "x" },
      },
    ]);
  });
});

Deno.test("station fail() tells the run the stage and the redacted reason; reply() sends to the run", async () => {
  await withStore(async (store) => {
    const record = await createRun(store, sampleRun());
    const out = await step(store, record.id, (st) => {
      st.fail("setup", new Error(`npm ci: 401 for ${SECRET}`));
      st.reply({ type: "prepared", baseCommit: "abc", pushBranch: null });
      return Promise.resolve();
    });
    assertEquals(out.sends.map((s) => [s.to, s.msg]), [
      [{ type: "run", id: record.id }, {
        type: "failed",
        stage: "setup",
        iteration: 2,
        message: "npm ci: 401 for [REDACTED]",
      }],
      [{ type: "run", id: record.id }, {
        type: "prepared",
        baseCommit: "abc",
        pushBranch: null,
      }],
    ]);
  });
});
