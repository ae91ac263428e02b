/**
 * End to end: a watcher sees the agent work as it happens — one SE_STEP per
 * SE tool call (no file contents, secrets masked, commands shortened) and a
 * CMD_START before every setup, SE and acceptance command — and command
 * output reaches the model and the stored report without terminal codes.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { artifactJson, TEST_API_KEY, withHarness } from "./support/harness.ts";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";

interface Body {
  messages: { role: string; content?: unknown }[];
}

const CONTENT_MARKER = "CONTENT_MARKER_7f3e";
const ESC = "\u001b";

Deno.test("SE_STEP and CMD_START show each step and command start; no contents, no secret, no escape codes", async () => {
  const colour =
    `printf '\\033[31mred\\033[0m \\033]8;;javascript:alert(1)\\007link\\033]8;;\\007\\n'`;
  const script = {
    se: [
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("write_file", {
        path: "calculator.py",
        content: `def add(a, b):\n    return a + b  # ${CONTENT_MARKER}\n`,
      })),
      reply(toolCall("edit_file", {
        path: "missing.py",
        old_text: CONTENT_MARKER,
        new_text: "x",
      })),
      reply(toolCall("run_command", {
        command: `${colour}; echo "$NO_COLOR $TERM"; true ${TEST_API_KEY} ${
          "x".repeat(400)
        }`,
      })),
      reply(toolCall("finish", { summary: "add()" })),
    ],
    po: [poVerdict("PASS", "ok")],
  };
  await withHarness({ script }, async (h) => {
    const run = await h.submit(h.workOrder({
      setup_commands: ["echo setup-ran"],
      acceptance_commands: [colour],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const events = await h.svc.store.listEvents(run.id);
    const steps = events.filter((e) => e.kind === "SE_STEP");
    assertEquals(
      steps.map((
        e,
      ) => [e.iteration, e.payload.step, e.payload.tool, e.payload.ok]),
      [
        [1, 1, "read_file", true],
        [1, 2, "write_file", true],
        [1, 3, "edit_file", false],
        [1, 4, "run_command", true],
        [1, 5, "finish", true],
      ],
    );
    assertEquals(steps[0]?.payload.path, "README.md");
    assertEquals(steps[1]?.payload.path, "calculator.py");
    assertEquals(steps[2]?.level, "WARN");
    assertEquals(typeof steps[2]?.payload.reason, "string");
    const command = String(steps[3]?.payload.command);
    assert(command.length <= 200, `${command.length} chars`);
    assert(!command.includes(TEST_API_KEY), command);
    assert(!command.includes(ESC), command);

    const starts = events.filter((e) => e.kind === "CMD_START");
    assertEquals(
      starts.map((e) => e.payload.source),
      ["setup", "se", "acceptance"],
    );
    assertEquals(starts[0]?.payload.command, "echo setup-ran");
    assert(!String(starts[1]?.payload.command).includes(TEST_API_KEY));
    const seqOf = (kind: string) =>
      events.findIndex((e) =>
        e.kind === kind || (kind === "CMD_START se" &&
          e.kind === "CMD_START" && e.payload.source === "se")
      );
    assert(seqOf("CMD_START se") < seqOf("SE_COMMAND"), "start before end");

    const all = JSON.stringify(events);
    assert(!all.includes(CONTENT_MARKER), "file contents in the events");
    assert(!all.includes(TEST_API_KEY), "secret in the events");

    // The model read plain output, with NO_COLOR and TERM=dumb set.
    const se = h.model.requests.filter((r) => r.agent === "se");
    const result = (se[4]?.body as Body).messages.filter((m) =>
      m.role === "tool"
    ).map((m) => String(m.content))[3] ?? "";
    assertMatch(result, /red link\n1 dumb\n/);
    assert(!result.includes(ESC), JSON.stringify(result));
    const report = await artifactJson(h, run.id, "tool_report_iter_1.json") as {
      commands: { output: string }[];
    };
    assertEquals(report.commands[0]?.output, "red link\n");
  });
});
