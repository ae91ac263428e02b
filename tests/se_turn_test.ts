/**
 * End to end: an SE turn that stops at a limit or fails still leaves its
 * transcript and its real usage, and a stopped turn's changes go on through
 * the Tool Runner and the Product Owner (real git, bwrap, KV, HTTP model).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { artifactJson, withHarness } from "./support/harness.ts";
import { errorReply } from "../lib/llm/testing.ts";
import type { TurnEntry } from "../lib/agents/mod.ts";
import { emptyUsage } from "../lib/llm/mod.ts";

const CHECK = `python3 -c "from calculator import add; assert add(2,3) == 5"`;
const call = (name: string, args: unknown) => ({
  tool_calls: [{ name, arguments: args }],
});
const verdict = (decision: "PASS" | "FAIL", feedback: string) =>
  call("submit_verdict", { decision, feedback });

Deno.test("a turn stopped at max_tool_steps applies its changes and the run goes on to pass", async () => {
  await withHarness({
    script: {
      se: [
        // Iteration 1: a wrong add(), then looking around until the step limit.
        call("write_file", {
          path: "calculator.py",
          content: "def add(a, b):\n    return a - b\n",
        }),
        call("list_files", {}),
        call("read_file", { path: "calculator.py" }),
        // Iteration 2 fixes it.
        call("edit_file", {
          path: "calculator.py",
          old_text: "a - b",
          new_text: "a + b",
        }),
        call("finish", { summary: "Fixed the sign" }),
      ],
      po: [verdict("PASS", "ok")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      max_tool_steps: 3,
      push_branch: "aos/limit",
    }, "Create calculator.py with add(a, b)."));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(done.iteration, 2);
    const events = await h.svc.store.listEvents(run.id);
    const limit = events.find((e) => e.kind === "SE_TURN_LIMIT");
    assert(limit, "no SE_TURN_LIMIT event");
    assertEquals(limit.iteration, 1);
    assertEquals(limit.payload.reason, "max_tool_steps");
    // Iteration 1's partial packet reached the Tool Runner: the command failed on a - b.
    const apply1 = events.find((e) =>
      e.kind === "TR_APPLY" && e.iteration === 1
    );
    assertEquals(apply1?.payload.applied, 1);
    assertEquals(apply1?.payload.ok, false);
    const packet1 = await artifactJson(h, run.id, "se_packet_iter_1.json");
    assertMatch(String(packet1.summary), /step limit of 3 tool-call steps/);
    const llm1 = await artifactJson(h, run.id, "llm_iter_1_se.json");
    assertEquals(llm1.ended, "max_tool_steps");
    const usage1 = llm1.usage as { total_tokens: number };
    assert(usage1.total_tokens > 0);
    assert(done.usage.total_tokens > usage1.total_tokens);
    assertEquals(
      await h.remoteFile("aos/limit", "calculator.py"),
      "def add(a, b):\n    return a + b\n",
    );
    // Iteration 2 was shown its cumulative diff and the failing command.
    const se = h.model.requests.filter((r) => r.agent === "se");
    const second = JSON.stringify(se[3]?.body);
    assertMatch(second, /calculator\.py \|/);
    assertMatch(second, /- {4}return a - b|\+ {4}return a - b/);
    assertMatch(second, /AssertionError/);
  });
});

Deno.test("a turn the model API fails midway ends the run FAILED with its transcript and usage kept", async () => {
  await withHarness({
    script: {
      se: [
        call("read_file", { path: "calculator.py" }),
        errorReply(429, "insufficient_quota", {
          type: "insufficient_quota",
          message: "You exceeded your current quota",
          headers: { "retry-after": "1" },
        }),
      ],
      po: [],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: [CHECK] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertMatch(done.error ?? "", /insufficient_quota/);
    // Not retried: one request for the read, one refused.
    assertEquals(h.model.requests.filter((r) => r.agent === "se").length, 2);
    assert(
      done.usage.total_tokens > 0,
      "the paid first call is not in the run's usage",
    );
    const llm = await artifactJson(h, run.id, "llm_iter_1_se.json");
    assertEquals((llm.error as { kind: string }).kind, "quota");
    const transcript = llm.transcript as { exchanges: unknown[] };
    assertEquals(transcript.exchanges.length, 1);
    assertEquals(
      (llm.usage as { total_tokens: number }).total_tokens,
      done.usage.total_tokens,
    );
  });
});

Deno.test("a turn whose journal another worker wrote to meanwhile is redelivered and resumes from that entry", async () => {
  let runId = "";
  await withHarness({
    script: {
      se: [
        // A change, so the run has something to pass (an unchanged tree never does).
        call("write_file", { path: "NOTES.md", content: "notes\n" }),
        call("finish", { summary: "Finished by this worker" }),
      ],
      po: [verdict("PASS", "ok")],
    },
    // While this worker waits for its second reply, another one (a
    // takeover) journals the reply to the same request first.
    beforeModelReply: async (h, agent, n) => {
      if (agent !== "se" || n !== 2) return;
      await h.svc.store.journal<TurnEntry>(runId, "se_iter_1").append({
        type: "reply",
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_other_1",
            type: "function",
            function: {
              name: "finish",
              arguments: JSON.stringify({
                summary: "Finished by the other worker",
              }),
            },
          }],
        },
        usage: { ...emptyUsage(), prompt_tokens: 50, total_tokens: 50 },
        finish_reason: "tool_calls",
        request_tokens: 50,
        stubbed: 0,
        condensed: 0,
      });
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({}));
    runId = run.id;
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    // The redelivered turn replayed the journal: no third request.
    assertEquals(h.model.requests.filter((r) => r.agent === "se").length, 2);
    const packet = await artifactJson(h, run.id, "se_packet_iter_1.json");
    assertEquals(packet.summary, "Finished by the other worker");
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    assert(!kinds.includes("ERROR"), kinds.join(", "));
    assertEquals(await h.svc.system.deadLetters(), []);
    // The journal is dropped once the turn has its packet.
    assertEquals(
      await h.svc.store.journal<TurnEntry>(run.id, "se_iter_1").load(),
      [],
    );
  });
});
