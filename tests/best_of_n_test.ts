/**
 * Best-of-N end to end (`attempts`, `attempt_models`): a real service, real
 * git and bwrap, and the scripted model over HTTP answering each attempt
 * from its own model's queue (the attempts run in parallel).
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { artifactJson, type Harness, withHarness } from "./support/harness.ts";
import {
  finishCall,
  poVerdict,
  reply,
  type ScriptedReply,
  toolCall,
  writeFileCall,
} from "../lib/llm/testing.ts";
import { CALCULATOR_PY } from "./support/calculator.ts";
import type { RunEvent } from "../lib/store/mod.ts";

/** Every reply costs the same, so the run's usage is a count of requests. */
const USAGE = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };

const WRONG_PY = "def add(a, b):\n    return a - b\n";
const BROKEN_PY = "def add(a, b)\n    return a +\n";

/** One SE reply writing `files` and finishing. */
function seTurn(files: Record<string, string>, summary: string): ScriptedReply {
  return {
    tool_calls: [
      ...Object.entries(files).map(([p, c]) => writeFileCall(p, c)),
      finishCall(summary),
    ],
    usage: USAGE,
  };
}

const ADDS = `python3 -c "from calculator import add; assert add(1, 2) == 3"`;
const IMPORTS = `python3 -c "import calculator"`;

async function events(h: Harness, runId: string): Promise<RunEvent[]> {
  return await h.svc.store.listEvents(runId);
}

function payloads(all: RunEvent[], kind: string): Record<string, unknown>[] {
  return all.filter((e) => e.kind === kind).map((e) =>
    e.payload as Record<string, unknown>
  );
}

async function artifactNames(h: Harness, runId: string): Promise<string[]> {
  return (await h.svc.store.listArtifacts(runId)).map((a) => a.name);
}

Deno.test("attempts: 3 with one passing acceptance: the PO judges it alone, and only its change is pushed", async () => {
  await withHarness({
    script: {
      se: [],
      po: [{ ...poVerdict("PASS", "adds correctly"), usage: USAGE }],
      models: {
        "coder-a": [seTurn({ "calculator.py": WRONG_PY }, "subtracts")],
        "coder-b": [seTurn({ "calculator.py": CALCULATOR_PY }, "adds")],
        "coder-c": [
          seTurn({ "calculator.py": BROKEN_PY, "extra.py": "x = 1\n" }, "c"),
        ],
      },
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      push_branch: "aos/best",
      acceptance_commands: [ADDS],
      attempts: 3,
      attempt_models: ["coder-a", "coder-b", "coder-c"],
    }, "Create calculator.py with add(a, b)."));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(done.iteration, 1);

    // The pushed tree is attempt 2's: the other attempts' files are nowhere.
    assertEquals(
      await h.remoteFile("aos/best", "calculator.py"),
      CALCULATOR_PY,
    );
    assertEquals(await h.remoteTree("aos/best"), [
      "README.md",
      "calculator.py",
    ]);
    const diff = new TextDecoder().decode(
      (await h.svc.store.getArtifact(run.id, "diff.patch")).body,
    );
    assert(diff.includes("return a + b") && !diff.includes("extra.py"), diff);

    // Each attempt talked to its own model, in its own turn.
    const seModels = h.model.requests.filter((r) => r.agent === "se").map((
      r,
    ) => (r.body as { model: string }).model).sort();
    assertEquals(seModels, ["coder-a", "coder-b", "coder-c"]);
    // One candidate: the usual review, without a pick.
    const po = h.model.requests.filter((r) => r.agent === "po");
    assertEquals(po.length, 1);
    assert(!JSON.stringify(po[0]!.body).includes('"pick"'));

    const log = await events(h, run.id);
    assertEquals(
      payloads(log, "SE_OUTPUT").map((p) => p.attempt).sort(),
      [1, 2, 3],
    );
    assertEquals(
      payloads(log, "TR_APPLY").map((p) => [p.attempt, p.ok]).sort(),
      [[1, false], [2, true], [3, false]],
    );
    assertEquals(payloads(log, "ATTEMPTS_DROPPED"), [{
      attempts: [1, 3],
      reason: "acceptance commands failed",
    }]);
    const [picked] = payloads(log, "ATTEMPT_PICKED");
    assertEquals([picked?.attempt, picked?.decision, picked?.candidates], [
      2,
      "PASS",
      [2],
    ]);
    assertEquals(payloads(log, "PO_RESULT").map((p) => p.attempt), [2]);
    // CMD_RESULT events say whose command ran.
    assertEquals(
      payloads(log, "CMD_RESULT").map((p) => p.attempt).sort(),
      [1, 2, 3],
    );

    // Artifacts per attempt; the plain names hold the picked attempt.
    const names = await artifactNames(h, run.id);
    for (const k of [1, 2, 3]) {
      for (
        const name of [
          `se_packet_iter_1_attempt_${k}.json`,
          `tool_report_iter_1_attempt_${k}.json`,
          `llm_iter_1_attempt_${k}_se.json`,
        ]
      ) assert(names.includes(name), `${name} missing from ${names}`);
    }
    const kept = await artifactJson(h, run.id, "se_packet_iter_1.json");
    assertEquals(
      kept,
      await artifactJson(h, run.id, "se_packet_iter_1_attempt_2.json"),
    );
    const report = await artifactJson(h, run.id, "po_report_iter_1.json");
    assertEquals([report.attempt, report.candidates], [2, [2]]);

    // Usage sums every attempt and the PO: four requests of 110 tokens.
    assertEquals(done.usage.total_tokens, 4 * 110);
    let fromArtifacts = 0;
    for (
      const name of [1, 2, 3].map((k) => `llm_iter_1_attempt_${k}_se.json`)
        .concat("llm_iter_1_po.json")
    ) {
      const exchange = await artifactJson(h, run.id, name);
      fromArtifacts += (exchange.usage as { total_tokens: number })
        .total_tokens;
    }
    assertEquals(fromArtifacts, done.usage.total_tokens);

    // The run page shows the attempts side by side.
    const page = await (await fetch(`${h.svc.url}/ui/runs/${run.id}`)).text();
    assert(page.includes('class="attempts"'), "no attempts section");
    const card = (k: number) => {
      const start = page.indexOf(`id="iteration-1-attempt-${k}"`);
      assert(start > 0, `no card for attempt ${k}`);
      return page.slice(
        page.lastIndexOf("<article", start),
        page.indexOf("</article>", start),
      );
    };
    assert(card(2).includes("attempt-picked") && card(2).includes(">picked<"));
    for (const k of [1, 3]) {
      assert(card(k).includes("attempt-dropped"), card(k));
      assert(card(k).includes("Dropped: acceptance commands failed"), card(k));
    }
    for (
      const [k, model] of [[1, "coder-a"], [2, "coder-b"], [
        3,
        "coder-c",
      ]] as const
    ) {
      assert(card(k).includes(model), card(k));
      assert(card(k).includes(`se_packet_iter_1_attempt_${k}.json`), card(k));
    }
    assert(card(2).includes("adds") && card(1).includes("subtracts"));
    // Each card holds its own attempt's SE steps (its writes, then finish).
    for (const [k, calls] of [[1, 2], [2, 2], [3, 3]] as const) {
      assert(card(k).includes(`SE steps · ${calls} tool calls`), card(k));
    }
  });
});

Deno.test("attempts: 2 passing are reviewed side by side and the PO's pick is pushed", async () => {
  await withHarness({
    script: {
      se: [],
      po: [{
        ...reply(toolCall("submit_verdict", {
          decision: "PASS",
          feedback: "attempt 3 also documents it",
          pick: 3,
        })),
        usage: USAGE,
      }],
      models: {
        "coder-a": [seTurn({ "calculator.py": CALCULATOR_PY }, "plain")],
        "coder-b": [seTurn({ "calculator.py": WRONG_PY }, "wrong")],
        "coder-c": [
          seTurn({
            "calculator.py": `"""Adds."""\n${CALCULATOR_PY}`,
          }, "documented"),
        ],
      },
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      push_branch: "aos/pick",
      acceptance_commands: [ADDS],
      attempts: 3,
      attempt_models: ["coder-a", "coder-b", "coder-c"],
    }, "Create calculator.py with add(a, b)."));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(
      await h.remoteFile("aos/pick", "calculator.py"),
      `"""Adds."""\n${CALCULATOR_PY}`,
    );
    const [po] = h.model.requests.filter((r) => r.agent === "po");
    const body = po!.body as {
      tools: {
        function: { parameters: { properties: Record<string, unknown> } };
      }[];
      messages: { content: string }[];
    };
    assertEquals(
      body.tools[0]!.function.parameters.properties.pick,
      {
        type: "integer",
        enum: [1, 3],
        description:
          "The attempt you pick: on PASS the one to keep (required); on FAIL the one closest to done.",
      },
    );
    const prompt = body.messages.map((m) => m.content).join("\n");
    assert(prompt.includes("# Attempt 1") && prompt.includes("# Attempt 3"));
    assert(!prompt.includes("# Attempt 2"), "a dropped attempt was shown");
    const log = await events(h, run.id);
    assertEquals(payloads(log, "ATTEMPTS_DROPPED").map((p) => p.attempts), [
      [2],
    ]);
    const [picked] = payloads(log, "ATTEMPT_PICKED");
    assertEquals([picked?.attempt, picked?.candidates], [3, [1, 3]]);
  });
});

Deno.test("attempts: 3 with none passing: iteration 2 continues from the best one; at max_iterations the run fails", async () => {
  await withHarness({
    script: {
      // Iteration 2: one SE on the run's model, which reads what it continues from.
      se: [
        {
          ...reply(toolCall("read_file", { path: "calculator.py" })),
          usage: USAGE,
        },
        seTurn({ "calculator.py": CALCULATOR_PY }, "fixed the sign"),
      ],
      po: [{ ...poVerdict("PASS", "ok"), usage: USAGE }],
      models: {
        // Attempt 2 passes one of the two commands (it imports): the best.
        "coder-a": [seTurn({ "calculator.py": BROKEN_PY }, "a")],
        "coder-b": [seTurn({ "calculator.py": WRONG_PY }, "b")],
        "coder-c": [seTurn({ "calculator.py": BROKEN_PY }, "c")],
        "coder-d": [seTurn({ "calculator.py": BROKEN_PY }, "d: broken")],
        "coder-e": [seTurn({ "calculator.py": WRONG_PY }, "e: subtracts")],
      },
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      push_branch: "aos/retry",
      max_iterations: 2,
      acceptance_commands: [IMPORTS, ADDS],
      attempts: 3,
      attempt_models: ["coder-a", "coder-b", "coder-c"],
    }, "Create calculator.py with add(a, b)."));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(done.iteration, 2);
    const log = await events(h, run.id);
    assertEquals(payloads(log, "ATTEMPTS_DROPPED"), [{
      attempts: [1, 2, 3],
      reason: "acceptance commands failed",
    }]);
    const [picked] = payloads(log, "ATTEMPT_PICKED");
    assertEquals([picked?.attempt, picked?.decision, picked?.candidates], [
      2,
      "FAIL",
      [],
    ]);
    // Nobody passed: the FAIL is decided without asking the PO model.
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 1);
    // Iteration 2's SE read attempt 2's file in its working copy.
    const second = h.model.requests.filter((r) =>
      r.agent === "se" && (r.body as { model: string }).model === "gpt-4.1-mini"
    );
    assertEquals(second.length, 2);
    assert(
      JSON.stringify(second[1]!.body).includes("return a - b"),
      "iteration 2 did not start from attempt 2",
    );
    // Iteration 2 is one plain SE turn: an SE_OUTPUT without an attempt.
    assertEquals(
      payloads(log, "SE_OUTPUT").map((p) => p.attempt ?? 0).sort(),
      [0, 1, 2, 3],
    );
    assertEquals(
      await h.remoteFile("aos/retry", "calculator.py"),
      CALCULATOR_PY,
    );
    // 3 attempts + 2 SE requests in iteration 2 + the PO's one.
    assertEquals(done.usage.total_tokens, 6 * 110);

    // At max_iterations: FAILED with the best attempt's feedback.
    const last = await h.submit(h.workOrder({
      max_iterations: 1,
      acceptance_commands: [IMPORTS, ADDS],
      attempts: 2,
      attempt_models: ["coder-d", "coder-e"],
    }, "Create calculator.py with add(a, b)."));
    const failed = await h.waitForEnd(last.id);
    assertEquals(failed.status, "FAILED");
    assert(
      /max_iterations/.test(failed.result_summary ?? ""),
      failed.result_summary ?? "",
    );
    const lastPicked = payloads(await events(h, last.id), "ATTEMPT_PICKED");
    assertEquals(lastPicked.map((p) => p.attempt), [2]);
    assert(
      /1 acceptance command failed/.test(failed.error ?? ""),
      failed.error ?? "",
    );
    // A follow-up is told the summary of the attempt the run went on with.
    const res = await fetch(`${h.svc.url}/runs/${last.id}/revise`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ feedback: "Fix the sign." }),
    });
    assertEquals(res.status, 201);
    const followUp = await res.json() as { id: string; work_order_md: string };
    await fetch(`${h.svc.url}/runs/${followUp.id}/cancel`, { method: "POST" });
    assert(
      followUp.work_order_md.includes("Its engineer's summary: e: subtracts"),
      followUp.work_order_md,
    );
    await h.waitForEnd(followUp.id);
  });
});

Deno.test("attempts and attempt_models out of range are a 422 naming the field", async () => {
  await withHarness({}, async (h) => {
    const cases: [Record<string, unknown>, string][] = [
      [{ attempts: 5 }, "attempts"],
      [{ attempts: 0 }, "attempts"],
      [{ attempts: 2, attempt_models: ["a", "b", "c"] }, "attempt_models"],
      [{ attempts: 2, attempt_models: [""] }, "attempt_models.0"],
    ];
    for (const [fields, field] of cases) {
      const res = await fetch(`${h.svc.url}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ repo: h.remote, task: "Do it.", ...fields }),
      });
      assertEquals(res.status, 422, JSON.stringify(fields));
      const body = await res.json();
      assertEquals(
        body.error.details.map((d: { field: string }) => d.field),
        [field],
        JSON.stringify(body),
      );
    }
  });
});

Deno.test("attempts: 1 runs as before (no attempt events or artifacts); its attempt_models entry is iteration 1's SE model", async () => {
  await withHarness({
    script: {
      se: [],
      po: [{ ...poVerdict("PASS", "ok"), usage: USAGE }],
      models: {
        "coder-x": [seTurn({ "calculator.py": CALCULATOR_PY }, "adds")],
      },
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [ADDS],
      attempt_models: ["coder-x"],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const se = h.model.requests.filter((r) => r.agent === "se");
    assertEquals(se.map((r) => (r.body as { model: string }).model), [
      "coder-x",
    ]);
    const log = await events(h, run.id);
    assertEquals(
      // (MODEL_RETRY and MODEL_PROGRESS count a request's retries as attempt=.)
      log.filter((e) =>
        e.kind.startsWith("ATTEMPT") ||
        (!e.kind.startsWith("MODEL_") &&
          (e.payload as { attempt?: unknown }).attempt !== undefined)
      ),
      [],
    );
    const names = await artifactNames(h, run.id);
    assert(!names.some((n) => n.includes("attempt")), names.join());
    assert(names.includes("se_packet_iter_1.json"));
  });
});
