/**
 * End to end: the setup phase over real git repos, real bwrap and the scripted
 * model over HTTP — a failing setup costs no model request, a passing one is
 * recorded, kept as a cached environment and restored by the next run.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { runAos } from "../cli/testing.ts";
import {
  type Harness,
  TEST_GITHUB_TOKEN,
  withHarness,
} from "./support/harness.ts";

const finish = (summary: string) => ({
  tool_calls: [{ name: "finish", arguments: { summary } }],
});
const write = (path: string, content: string) => ({
  tool_calls: [{ name: "write_file", arguments: { path, content } }],
});
const verdict = (decision: "PASS" | "FAIL", feedback: string) => ({
  tool_calls: [{ name: "submit_verdict", arguments: { decision, feedback } }],
});

/** Asserts the token (in the work order's env, printed by setup) never reached events, artifacts or the error. */
async function assertNoSecret(h: Harness, runId: string) {
  const parts = [String((await h.svc.store.getRun(runId)).error)];
  parts.push(JSON.stringify(await h.svc.store.listEvents(runId)));
  for (const meta of await h.svc.store.listArtifacts(runId)) {
    const { body } = await h.svc.store.getArtifact(runId, meta.name);
    parts.push(new TextDecoder().decode(body));
  }
  assert(!parts.join("\n").includes(TEST_GITHUB_TOKEN), "the token leaked");
}

Deno.test("a failing setup command ends the run FAILED before any model request", async () => {
  await withHarness({ script: { se: [finish("x")], po: [] } }, async (h) => {
    const run = await h.submit(h.workOrder({
      setup_commands: [
        `echo preparing # --index-url https://aos:${TEST_GITHUB_TOKEN}@pypi.example/simple`,
        "echo 'no such package: left-pad' >&2; echo $INDEX_TOKEN; exit 3",
        "echo never",
      ],
      env: { INDEX_TOKEN: TEST_GITHUB_TOKEN },
      acceptance_commands: ["true"],
    }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    await assertNoSecret(h, run.id);
    assertEquals(done.result_summary, "Failed during setup");
    assert(
      done.error?.includes(
        "Setup command 'echo 'no such package: left-pad' >&2; echo $INDEX_TOKEN; exit 3' exited with code 3",
      ),
      done.error ?? "",
    );
    assert(done.error?.includes("no such package: left-pad"), done.error ?? "");
    assertEquals(h.model.requests.length, 0);
    assertEquals(done.usage.total_tokens, 0);

    const events = await h.svc.store.listEvents(run.id);
    const setup = events.filter((e) => e.kind === "SETUP_RESULT");
    assertEquals(
      setup.map((e) => [
        String(e.payload.command).split(" #")[0],
        e.payload.exit_code,
      ]),
      [["echo preparing", 0], [
        "echo 'no such package: left-pad' >&2; echo $INDEX_TOKEN; exit 3",
        3,
      ]],
    );
    assert(setup.every((e) => typeof e.payload.duration_ms === "number"));
    const kinds = events.map((e) => e.kind);
    assert(!kinds.includes("WORKSPACE_READY"), kinds.join(","));
    assert(!kinds.includes("SE_OUTPUT"));
    assertEquals(
      events.find((e) => e.kind === "ERROR")?.payload.stage,
      "setup",
    );

    const report = JSON.parse(
      new TextDecoder().decode(
        (await h.svc.store.getArtifact(run.id, "setup_report.json")).body,
      ),
    );
    assertEquals(report.status, "failed");
    assertEquals(report.commands.length, 2);
    assert(
      report.commands[1].output.startsWith("no such package: left-pad\n"),
      report.commands[1].output,
    );
    const summary = JSON.parse(
      new TextDecoder().decode(
        (await h.svc.store.getArtifact(run.id, "summary.json")).body,
      ),
    );
    assertEquals(summary.setup.status, "failed");
    assertEquals(summary.setup.commands[1].exit_code, 3);

    // `aos logs` shows each setup command's result.
    const logs = await runAos(["logs", run.id], { env: h.cliEnv });
    assert(
      /SETUP_RESULT\s+iter=- command="echo preparing #[^"]*" exit_code=0 duration_ms=\d+/
        .test(logs.stdout),
      logs.stdout,
    );
    assert(/SETUP_RESULT .*exit_code=3/.test(logs.stdout), logs.stdout);
  });
});

Deno.test("a failed setup explains itself: the lines that look like errors first, then the head and the tail, in the error and the SETUP_RESULT event", async () => {
  await withHarness({ script: { se: [], po: [] } }, async (h) => {
    // npm's shape: the cause at the head, pages of help after it.
    const npmCi = [
      `echo 'npm ERR! code EUSAGE'`,
      `echo 'npm ERR! The npm ci command can only install with an existing package-lock.json'`,
      `for i in $(seq 1 80); do echo "npm ERR!   --option-$i <value>  (help text)"; done`,
      `echo 'npm ERR! A complete log of this run can be found in: /tmp/debug.log'`,
      "exit 1",
    ].join("; ");
    const run = await h.submit(h.workOrder({ setup_commands: [npmCi] }));
    const done = await h.waitForEnd(run.id);
    assertEquals(done.status, "FAILED");
    const error = done.error ?? "";
    const cause =
      "npm ERR! The npm ci command can only install with an existing package-lock.json";
    assert(
      error.includes(
        "Lines that look like errors:\n  npm ERR! code EUSAGE\n  " + cause,
      ),
      error,
    );
    assert(
      error.includes("First lines:") && error.includes("Last lines:"),
      error,
    );
    assert(error.indexOf(cause) < error.indexOf("Last lines:"), error);
    assert(/… \d+ line\(s\) omitted …/.test(error), error);
    assert(error.includes("A complete log of this run can be found in"), error);
    const result = (await h.svc.store.listEvents(run.id)).find((e) =>
      e.kind === "SETUP_RESULT"
    );
    const lines = result?.payload.error_lines as string[];
    assertEquals(lines.slice(0, 2), ["npm ERR! code EUSAGE", cause]);
    assert(lines.length <= 12);
    assert(
      String(result?.payload.output_head).startsWith("npm ERR! code EUSAGE\n"),
    );
    assert(String(result?.payload.output_tail).endsWith("/tmp/debug.log"));
    // setup_report.json (the dashboard's setup card) carries the same lines.
    const report = JSON.parse(
      new TextDecoder().decode(
        (await h.svc.store.getArtifact(run.id, "setup_report.json")).body,
      ),
    );
    assertEquals(report.commands[0].error_lines, lines);
    assertEquals(h.model.requests.length, 0);
  });
});

Deno.test("setup output is kept as an environment and the next run restores it without running setup", async () => {
  await withHarness({
    script: {
      se: [
        // The SE's run_command sees the environment too, still offline.
        {
          tool_calls: [{
            name: "run_command",
            arguments: {
              command:
                "deps/bin/tool && echo net: $(tail -n +3 /proc/net/dev | cut -d: -f1)",
            },
          }],
        },
        // Each run changes something: an unchanged tree never passes.
        write("NOTES.md", "first\n"),
        finish("notes"),
        write("NOTES.md", "second\n"),
        finish("notes"),
      ],
      po: [verdict("PASS", "ok"), verdict("PASS", "ok")],
    },
    files: {
      "README.md": "# Demo\n",
      ".gitignore": "deps/\n",
      "deps.lock": "tool 1.0\n",
    },
  }, async (h) => {
    const workOrder = h.workOrder({
      setup_commands: [
        "mkdir -p deps/bin && printf '#!/bin/sh\\necho tool-1.0\\n' > deps/bin/tool && chmod +x deps/bin/tool",
      ],
      setup_cache_key: ["deps.lock"],
      acceptance_commands: [
        "deps/bin/tool | grep -q tool-1.0",
        "rm -rf deps && test ! -e deps/bin/tool",
      ],
    });
    const first = await h.waitForEnd((await h.submit(workOrder)).id);
    assertEquals(first.status, "SUCCEEDED", first.error ?? "");
    const firstKinds = (await h.svc.store.listEvents(first.id)).map((e) =>
      e.kind
    );
    assert(firstKinds.includes("SETUP_RESULT"));
    assert(firstKinds.includes("SETUP_SAVED"));
    const seen = JSON.stringify(h.model.requests.map((r) => r.body));
    assert(seen.includes("tool-1.0"), "run_command found the environment");
    assert(seen.includes("net: lo\\n"), "run_command has only loopback");
    // Prepare, the SE's turn and the TR's apply each rebuild the workspace: setup ran once.
    assertEquals(firstKinds.filter((k) => k === "SETUP_RESULT").length, 1);
    // Setup comes before the workspace is reported ready and before the SE.
    assert(
      firstKinds.indexOf("SETUP_RESULT") <
        firstKinds.indexOf("WORKSPACE_READY"),
    );

    const second = await h.waitForEnd((await h.submit(workOrder)).id);
    assertEquals(second.status, "SUCCEEDED", second.error ?? "");
    const events = await h.svc.store.listEvents(second.id);
    const kinds = events.map((e) => e.kind);
    assert(!kinds.includes("SETUP_RESULT"), kinds.join(","));
    assert(kinds.includes("SETUP_RESTORED"));
    const results = events.filter((e) => e.kind === "CMD_RESULT");
    assertEquals(results.map((e) => e.payload.exit_code), [0, 0]);
  });
});
