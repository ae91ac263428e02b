/**
 * End to end: what real (small, local) models do, through the real service
 * (real git, bwrap, KV, HTTP to a scripted model): tool calls in the text,
 * no tool calls, a PO verdict in prose, a small context window. Each ends in
 * a clear outcome, never a false success.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { artifactJson, withHarness } from "./support/harness.ts";
import { poVerdict } from "../lib/llm/testing.ts";
import { until } from "./support/poll.ts";
import { runAos } from "../cli/testing.ts";

const CHECK = `python3 -c "from calculator import add; assert add(2,3) == 5"`;
const ADD = "def add(a, b):\n    return a + b\n";
const call = (name: string, args: unknown) => ({
  tool_calls: [{ name, arguments: args }],
});

Deno.test("tool calls written in the message text are run, marked in the transcript and events, and the run passes", async () => {
  await withHarness({
    script: {
      se: [
        {
          content: `<tool_call>\n${
            JSON.stringify({
              name: "write_file",
              arguments: { path: "calculator.py", content: ADD },
            })
          }\n</tool_call>`,
        },
        {
          content:
            '```json\n{"name": "finish", "arguments": {"summary": "add"}}\n```',
        },
      ],
      po: [{
        content:
          '{"name": "submit_verdict", "arguments": {"decision": "PASS", "feedback": "fine"}}',
      }],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      push_branch: "aos/text",
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(await h.remoteFile("aos/text", "calculator.py"), ADD);
    const llm = await artifactJson(h, run.id, "llm_iter_1_se.json");
    const exchanges = (llm.transcript as {
      exchanges: { text_tool_calls?: number; raw_content?: string }[];
    }).exchanges;
    assertEquals(exchanges.map((e) => e.text_tool_calls), [1, 1]);
    assertMatch(exchanges[0]?.raw_content ?? "", /^<tool_call>/);
    const events = await h.svc.store.listEvents(run.id);
    const inText = events.filter((e) => e.kind === "TOOL_CALLS_IN_TEXT");
    assertEquals(inText.map((e) => e.payload.agent), ["se", "se", "po"]);
    assertEquals(inText[0]?.iteration, 1);
  });
});

Deno.test("an SE model that never calls a tool fails the run at once, naming model and endpoint; the PO is never asked", async () => {
  await withHarness({
    script: {
      se: [
        { content: "You can implement add as: return a + b" },
        { content: "That is all." },
        { content: "Anything else?" },
      ],
      po: [poVerdict("PASS", "would be a false PASS")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      max_iterations: 3,
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertEquals(done.iteration, 1);
    assertMatch(
      done.error ?? "",
      new RegExp(
        `^The SE model 'gpt-4\\.1-mini' at ${
          h.model.url.replaceAll(".", "\\.")
        } answered 3 times without a tool call; does it support tool calling\\?`,
      ),
    );
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 0);
    assert(
      done.usage.total_tokens > 0,
      "the three paid replies are not counted",
    );
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    assertEquals(kinds.filter((k) => k === "SE_NO_TOOL_CALL").length, 3);
    assert(kinds.includes("SE_TURN_LIMIT") && !kinds.includes("SE_OUTPUT"));
    const llm = await artifactJson(h, run.id, "llm_iter_1_se.json");
    assertEquals((llm.error as { kind: string }).kind, "no_tool_call");
  });
});

Deno.test("a run whose SE changed nothing never reaches the PO model and ends FAILED", async () => {
  await withHarness({
    script: {
      se: [
        call("read_file", { path: "calculator.py" }),
        call("finish", { summary: "Nothing to do" }),
        call("finish", { summary: "Still nothing" }),
      ],
      po: [poVerdict("PASS", "would be a false PASS")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ max_iterations: 2 }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertEquals(done.iteration, 2);
    assertMatch(
      done.error ?? "",
      /Nothing changed: the diff against the base is empty/,
    );
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 0);
    // Iteration 2 was told why.
    const second = JSON.stringify(
      h.model.requests.filter((r) => r.agent === "se")[2]?.body,
    );
    assertMatch(second, /Nothing changed/);
  });
});

Deno.test("a PO that answers in prose: an unambiguous PASS is taken, an ambiguous answer twice fails the run saying so", async () => {
  const se = () => [
    call("write_file", { path: "calculator.py", content: ADD }),
    call("finish", { summary: "add" }),
  ];
  await withHarness({
    script: { se: se(), po: [{ content: "**PASS** — add() is correct." }] },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: [CHECK] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const report = await artifactJson(h, run.id, "po_report_iter_1.json");
    assertEquals(report.feedback, "**PASS** — add() is correct.");
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    assert(kinds.includes("PO_VERDICT_FROM_TEXT"));
  });
  await withHarness({
    script: {
      se: se(),
      po: [
        { content: "It is not a PASS, but it is not a FAIL either." },
        { content: "I think it is good." },
      ],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: [CHECK] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertMatch(
      done.error ?? "",
      /^The PO model 'gpt-4\.1-mini' at http:\/\/127\.0\.0\.1:\d+\/v1 gave no valid verdict in 2 replies: it answered in text that names no clear PASS or FAIL/,
    );
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 2);
  });
});

Deno.test("a whole run works with AOS_CONTEXT_TOKENS=8192: requests are sent, within the window", async () => {
  await withHarness({
    env: { AOS_CONTEXT_TOKENS: "8192" },
    files: {
      "README.md": "# Demo\n\n" + "A line of documentation.\n".repeat(600),
      "calculator.py": "# TODO: implement\n",
    },
    script: {
      se: [
        call("read_file", { path: "README.md" }),
        call("read_file", { path: "calculator.py" }),
        call("write_file", { path: "calculator.py", content: ADD }),
        call("finish", { summary: "add" }),
      ],
      po: [poVerdict("PASS", "ok")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      context_files: ["README.md"],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const bodies = h.model.requests.map((r) =>
      r.body as Record<string, unknown>
    );
    assertEquals(bodies.length, 5);
    for (const body of bodies) {
      assertEquals(body.max_tokens, 2_048);
      // About 3-4 characters a token: the whole request stays near the window.
      const chars = JSON.stringify(body).length;
      assert(chars < 8_192 * 4, `a request of ${chars} characters`);
    }
  });
});

Deno.test("an unreachable model endpoint: each retry is an event and a log line as it happens, the error says connection refused and names OPENAI_BASE_URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadUrl = `http://127.0.0.1:${listener.addr.port}/v1`;
  listener.close();
  await withHarness({ env: { OPENAI_BASE_URL: deadUrl } }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: [CHECK] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertEquals(
      done.error,
      `Could not reach the model API at ${deadUrl} (OPENAI_BASE_URL) after 6 attempts: connection refused`,
    );
    const retries = (await h.svc.store.listEvents(run.id)).filter((e) =>
      e.kind === "MODEL_RETRY"
    );
    assertEquals(retries.map((e) => e.payload.attempt), [2, 3, 4, 5, 6]);
    for (const retry of retries) {
      assertEquals(retry.level, "WARN");
      assertEquals(retry.iteration, 1);
      assertEquals(retry.payload.reason, "connection refused");
      assertEquals(retry.payload.agent, "se");
      assertEquals(retry.payload.endpoint, deadUrl);
      assert(typeof retry.payload.wait_s === "number");
    }
    const lines = h.logs.filter((l) => l.startsWith("MODEL_RETRY "));
    assertEquals(lines.length, 5);
    // `aos logs` shows them as the run's log lines.
    const logs = await runAos(["logs", run.id], { env: h.cliEnv });
    assertMatch(
      logs.stdout,
      /\[WARN ?\] MODEL_RETRY +iter=1 agent=se .*attempt=2 wait_s=[\d.]+ reason="connection refused"/,
    );
    assertMatch(
      lines[0] ?? "",
      new RegExp(
        `^MODEL_RETRY run=${run.id} agent=se iter=1 attempt=2 wait=[\\d.]+s endpoint=${deadUrl} reason="connection refused"$`,
      ),
    );
  });
});

Deno.test("a slow streamed reply is read whole, and MODEL_PROGRESS shows it while it is in flight", async () => {
  const content = ADD + "# " + "padding of a long reply ".repeat(60) + "\n";
  await withHarness({
    env: { AOS_MODEL_HEARTBEAT_MS: "100" },
    script: {
      se: [
        {
          tool_calls: [{
            name: "write_file",
            arguments: { path: "calculator.py", content },
          }],
          chunkDelayMs: 30,
        },
        call("finish", { summary: "add" }),
      ],
      po: [poVerdict("PASS", "ok")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      push_branch: "aos/slow",
    }));
    // Seen while the SE's call is still in flight, not only afterwards.
    const progress = await until(
      "MODEL_PROGRESS while the reply streams",
      async () => {
        const events = await h.svc.store.listEvents(run.id);
        if (
          events.some((e) => e.kind === "SE_OUTPUT" || e.kind === "RUN_END")
        ) {
          throw new Error("the SE's turn ended before any MODEL_PROGRESS");
        }
        return events.find((e) =>
          e.kind === "MODEL_PROGRESS" && Number(e.payload.tokens_so_far) > 0
        );
      },
    );
    assertEquals(progress.payload.agent, "se");
    assertEquals(progress.payload.phase, "replying");
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    assertEquals(await h.remoteFile("aos/slow", "calculator.py"), content);
    // The log stays ordered: every progress event sorts before the step's own events.
    const kinds = (await h.svc.store.listEvents(run.id)).map((e) => e.kind);
    const firstProgress = kinds.indexOf("MODEL_PROGRESS");
    assert(firstProgress >= 0 && firstProgress < kinds.indexOf("SE_OUTPUT"));
    const body = h.model.requests[0]?.body as Record<string, unknown>;
    assertEquals(body.stream, true);
  });
});

Deno.test("arguments that never validate: each error names the field, the calls use up max_tool_steps, and the run fails naming the model", async () => {
  await withHarness({
    script: {
      se: [
        call("write_file", { path: "calculator.py" }),
        call("write_file", { path: ["calculator.py"], content: ADD }),
        call("write_file", "{path: calculator.py"),
      ],
      po: [poVerdict("PASS", "would be a false PASS")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({
      acceptance_commands: [CHECK],
      max_tool_steps: 3,
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    assertMatch(
      done.error ?? "",
      /^The SE model 'gpt-4\.1-mini' at http:\/\/127\.0\.0\.1:\d+\/v1 made no valid tool call in 3 replies \(max_tool_steps\); the last one was refused with: Error: arguments for write_file are not valid JSON/,
    );
    const errors = (await h.svc.store.listEvents(run.id))
      .filter((e) => e.kind === "SE_TOOL_ERROR")
      .map((e) => String(e.payload.error));
    assertEquals(errors.slice(0, 2), [
      "Error: arguments for write_file are missing 'content'",
      "Error: arguments for write_file: 'path' must be a string, got object",
    ]);
    assertEquals(h.model.requests.filter((r) => r.agent === "po").length, 0);
  });
});

Deno.test("AOS_MODEL_TIMEOUT_S cuts a reply that takes too long; the retry is visible and the next attempt goes on", async () => {
  await withHarness({
    // 5 s: room for the fast requests on a loaded machine; the slow one needs about 10.
    env: { AOS_MODEL_TIMEOUT_S: "5" },
    script: {
      se: [
        {
          ...call("write_file", { path: "calculator.py", content: ADD }),
          chunkDelayMs: 2_000,
        },
        call("write_file", { path: "calculator.py", content: ADD }),
        call("finish", { summary: "add" }),
      ],
      po: [poVerdict("PASS", "ok")],
    },
  }, async (h) => {
    const run = await h.submit(h.workOrder({ acceptance_commands: [CHECK] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "SUCCEEDED", done.error ?? "");
    const retries = (await h.svc.store.listEvents(run.id)).filter((e) =>
      e.kind === "MODEL_RETRY"
    );
    assertEquals(retries.map((e) => [e.payload.attempt, e.payload.reason]), [
      [2, "timed out"],
    ]);
  });
});
