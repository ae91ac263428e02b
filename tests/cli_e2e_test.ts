/**
 * The `aos` CLI as a subprocess against a real AOS service (real KV, git,
 * sandbox, HTTP) driven by the scripted model.
 */
import assert from "node:assert/strict";
import type { ArtifactMeta, RunEvent, RunRecord } from "../lib/store/mod.ts";
import { type CliResult, describe, runAos, spawnAos } from "../cli/testing.ts";
import { type Harness, withHarness } from "./support/harness.ts";

const CALC_CHECK =
  `python3 -c "from calculator import add; assert add(2,3) == 5"`;
const GOOD_CALC = "def add(a, b):\n    return a + b\n";

/** One SE turn that writes calculator.py and finishes. */
const seTurn = (content = GOOD_CALC) => ({
  tool_calls: [
    { name: "write_file", arguments: { path: "calculator.py", content } },
    { name: "finish", arguments: { summary: "Wrote add()" } },
  ],
});
const verdict = (decision: "PASS" | "FAIL", feedback: string) => ({
  tool_calls: [{ name: "submit_verdict", arguments: { decision, feedback } }],
});

const LOG_LINE =
  /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \[(DEBUG|INFO |WARN |ERROR)\] [A-Z_]+ +iter=(-|\d+)( |$)/;

function expectExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, describe(result));
}

/** The run id from the `Run:` line a submit prints first. */
function runIdOf(line: string): string {
  const match = line.match(/^Run: {7}(\S+)$/);
  assert.ok(match?.[1], `Expected a "Run:" line, got ${JSON.stringify(line)}`);
  return match[1];
}

/** GETs `path` from the service as JSON. */
async function api<T>(h: Harness, path: string): Promise<T> {
  const res = await fetch(`${h.svc.url}${path}`);
  assert.equal(res.status, 200, path);
  return await res.json() as T;
}

/** Writes a work order file into the harness dir. */
async function workOrderFile(
  h: Harness,
  name: string,
  fields: Record<string, unknown>,
) {
  const path = `${h.dir}/${name}`;
  await Deno.writeTextFile(
    path,
    h.workOrder(
      fields,
      "Create a calculator.py module with an `add(a, b)` function.",
    ),
  );
  return path;
}

Deno.test("aos submit --wait succeeds with exit 0; status, logs, list and artifacts show the run", async () => {
  await withHarness({
    script: { se: [seTurn()], po: [verdict("PASS", "Looks right")] },
  }, async (h) => {
    const env = h.cliEnv;
    const file = await workOrderFile(h, "task.md", {
      title: "Add calculator module",
      push_branch: "aos/cli",
      max_iterations: 2,
      acceptance_commands: [CALC_CHECK],
    });
    const submitted = await runAos(["submit", file, "--wait"], { env });
    expectExit(submitted, 0);
    const lines = submitted.stdout.trimEnd().split("\n");
    const id = runIdOf(lines[0] ?? "");
    // The run's dashboard page, printed at once and in the final block.
    const link = `Link:      ${h.svc.url}/ui/runs/${id}`;
    assert.equal(lines[1], link);
    const block = [
      `Run:       ${id}`,
      "Status:    SUCCEEDED",
      `Repo:      ${h.remote} @ main`,
      "Iteration: 1",
      "Result:    Decision: PASS, pushed to aos/cli",
      "Title:     Add calculator module",
      link,
    ].join("\n");
    assert.ok(submitted.stdout.endsWith(`\n\n${block}\n`), describe(submitted));
    // Not a terminal: plain event lines, ending with RUN_END, before the block.
    const eventLines = lines.slice(2, lines.indexOf(""));
    assert.ok(eventLines.length >= 5, describe(submitted));
    for (const line of eventLines) assert.match(line, LOG_LINE);
    assert.match(eventLines[0] ?? "", / RUN_CREATED {10}iter=- /);
    assert.match(
      eventLines.at(-1) ?? "",
      / RUN_END +iter=- .*status=SUCCEEDED/,
    );
    assert.equal(await h.remoteFile("aos/cli", "calculator.py"), GOOD_CALC);

    const status = await runAos(["status", id], { env });
    expectExit(status, 0);
    assert.equal(status.stdout, `${block}\n`);
    const statusJson = await runAos(["status", id, "--json"], { env });
    assert.deepEqual(
      JSON.parse(statusJson.stdout),
      await api<RunRecord>(h, `/runs/${id}`),
    );

    const events = await api<RunEvent[]>(h, `/runs/${id}/events`);
    const logs = await runAos(["logs", id], { env });
    expectExit(logs, 0);
    const logLines = logs.stdout.trimEnd().split("\n");
    assert.equal(logLines.length, events.length);
    logLines.forEach((line, i) => {
      assert.match(line, LOG_LINE);
      assert.ok(
        line.includes(` ${events[i]?.kind} `),
        `${line} vs ${events[i]?.kind}`,
      );
    });
    assert.deepEqual(logLines, eventLines);
    assert.ok(
      logLines[0]?.includes(`repo=${h.remote} clone_branch=main`),
      logLines[0],
    );
    assert.match(
      logs.stdout,
      / PO_RESULT {12}iter=1 decision=PASS feedback="Looks right"/,
    );
    const logsJson = await runAos(["logs", id, "--json"], { env });
    assert.deepEqual(JSON.parse(logsJson.stdout), events);
    const followEnded = await runAos(["logs", id, "--follow"], { env });
    expectExit(followEnded, 0);
    assert.equal(followEnded.stdout, logs.stdout);

    const list = await runAos(["list"], { env });
    expectExit(list, 0);
    assert.match(list.stdout, /^ID +STATUS +ITER +CREATED +TITLE\n/);
    assert.match(
      list.stdout,
      new RegExp(
        `^${id} +SUCCEEDED +1/2 +\\S+ \\S+ +Add calculator module$`,
        "m",
      ),
    );
    const failedOnly = await runAos(["list", "--status", "failed"], { env });
    expectExit(failedOnly, 0);
    assert.equal(failedOnly.stdout, "");
    assert.match(failedOnly.stderr, /No FAILED runs/);
    const listJson = JSON.parse(
      (await runAos(["list", "--json"], { env })).stdout,
    );
    assert.equal(listJson.total, 1);
    assert.equal(listJson.runs[0].id, id);

    const metas = await api<ArtifactMeta[]>(h, `/runs/${id}/artifacts`);
    const artifacts = await runAos(["artifacts", id], { env });
    expectExit(artifacts, 0);
    assert.match(artifacts.stdout, /^NAME +TYPE +BYTES +CREATED\n/);
    for (const meta of metas) {
      assert.match(
        artifacts.stdout,
        new RegExp(
          `^${
            meta.name.replaceAll(".", "\\.")
          } +${meta.content_type} +${meta.bytes} `,
          "m",
        ),
      );
    }
    assert.deepEqual(
      JSON.parse((await runAos(["artifacts", id, "--json"], { env })).stdout),
      metas,
    );
    for (const name of ["summary.json", "diff.patch"]) {
      const expected = new Uint8Array(
        await (await fetch(`${h.svc.url}/runs/${id}/artifacts/${name}`))
          .arrayBuffer(),
      );
      assert.ok(expected.length > 0, name);
      const toStdout = await runAos(["artifacts", id, name], { env });
      expectExit(toStdout, 0);
      assert.deepEqual(toStdout.stdoutBytes, expected, name);
      const out = `${h.dir}/${name}.out`;
      const toFile = await runAos(["artifacts", id, name, "-o", out], { env });
      expectExit(toFile, 0);
      assert.equal(
        toFile.stdout,
        `Saved ${name} (${expected.length} bytes) to ${out}\n`,
      );
      assert.deepEqual(await Deno.readFile(out), expected, name);
    }

    // Errors the server reports: unknown artifact and run ⇒ 2; cancelling a finished run ⇒ 2.
    const noArtifact = await runAos(["artifacts", id, "nope.json"], { env });
    expectExit(noArtifact, 2);
    assert.match(noArtifact.stderr, /^Error: .*nope\.json/);
    const noRun = await runAos(["status", "no-such-run"], { env });
    expectExit(noRun, 2);
    assert.match(noRun.stderr, /^Error: .*no-such-run/);
    const lateCancel = await runAos(["cancel", id], { env });
    expectExit(lateCancel, 2);
    assert.match(lateCancel.stderr, /^Error: /);
  });
});

Deno.test("aos submit --wait ends FAILED with exit 1 and prints the error", async () => {
  await withHarness({
    script: {
      se: [seTurn("def add(a, b):\n    return 0\n")],
      po: [verdict("FAIL", "add() ignores its arguments")],
    },
  }, async (h) => {
    const file = await workOrderFile(h, "task.md", { max_iterations: 1 });
    const result = await runAos(["submit", file, "--wait"], { env: h.cliEnv });
    expectExit(result, 1);
    const id = runIdOf(result.stdout.split("\n")[0] ?? "");
    const run = await api<RunRecord>(h, `/runs/${id}`);
    assert.equal(run.status, "FAILED");
    assert.ok(run.error, "a failed run has an error");
    assert.ok(
      result.stdout.endsWith(
        `\nStatus:    FAILED\nRepo:      ${h.remote} @ main\nIteration: 1\nResult:    ${
          run.error.replace(/\s*\n\s*/g, " ").trim()
        }\nLink:      ${h.svc.url}/ui/runs/${id}\n`,
      ),
      describe(result),
    );
    assert.match(result.stdout, / RUN_END +iter=- .*status=FAILED/);

    const json = await runAos(["status", id, "--json"], { env: h.cliEnv });
    expectExit(json, 0);
    assert.equal(JSON.parse(json.stdout).status, "FAILED");
  });
});

Deno.test("aos submit --timeout exits 3; cancel ends a waiting submit with exit 4 and a following logs", async () => {
  await withHarness(
    { script: { se: [seTurn(), seTurn(), seTurn()], po: [] } },
    async (h) => {
      const env = h.cliEnv;
      // The acceptance command outlives every wait here; cancelling kills it.
      const file = await workOrderFile(h, "slow.md", {
        max_iterations: 1,
        acceptance_commands: ["sleep 120"],
      });

      const timedOut = await runAos([
        "submit",
        file,
        "--wait",
        "--timeout",
        "1",
      ], { env });
      expectExit(timedOut, 3);
      const first = runIdOf(timedOut.stdout.split("\n")[0] ?? "");
      assert.match(timedOut.stdout, /^Status: {4}(PENDING|RUNNING)$/m);
      assert.match(
        timedOut.stderr,
        new RegExp(`Timed out after 1 s waiting for run ${first}`),
      );

      const noWait = await runAos(["submit", file], { env });
      expectExit(noWait, 0);
      const second = runIdOf(noWait.stdout.split("\n")[0] ?? "");
      assert.equal(
        noWait.stdout,
        `Run:       ${second}\nStatus:    PENDING\nLink:      ${h.svc.url}/ui/runs/${second}\n`,
      );
      // --timeout means nothing without --wait: refused, nothing submitted.
      const before =
        (await h.svc.store.listRuns({ limit: 50, offset: 0 })).runs.length;
      const noWaitTimeout = await runAos(
        ["submit", file, "--timeout", "5"],
        { env },
      );
      expectExit(noWaitTimeout, 2);
      assert.match(noWaitTimeout.stderr, /--timeout needs --wait/);
      assert.equal(
        (await h.svc.store.listRuns({ limit: 50, offset: 0 })).runs.length,
        before,
      );

      const waiting = spawnAos(["submit", file, "--wait"], { env });
      let follower: ReturnType<typeof spawnAos> | null = null;
      try {
        const third = runIdOf(await waiting.firstLine);
        follower = spawnAos(["logs", third, "--follow"], { env });
        while ((await h.svc.store.getRun(third)).status === "PENDING") {
          await new Promise((r) => setTimeout(r, 50));
        }
        const cancelled = await runAos(["cancel", third], { env });
        expectExit(cancelled, 0);
        assert.match(cancelled.stdout, new RegExp(`^Run: {7}${third}$`, "m"));

        const waited = await waiting.result;
        expectExit(waited, 4);
        assert.match(waited.stdout, /\nStatus: {4}CANCELLED\n/);
        assert.match(waited.stdout, / RUN_CANCELLED /);
        const followed = await follower.result;
        expectExit(followed, 0);
        const followedLines = followed.stdout.trimEnd().split("\n");
        assert.match(followedLines[0] ?? "", / RUN_CREATED /);
        assert.match(
          followedLines.at(-1) ?? "",
          / RUN_END +iter=- .*status=CANCELLED/,
        );
        for (const line of followedLines) assert.match(line, LOG_LINE);

        const again = await runAos(["cancel", third, "--json"], { env });
        expectExit(again, 0);
        assert.equal(JSON.parse(again.stdout).status, "CANCELLED");
      } finally {
        waiting.kill();
        follower?.kill();
        await waiting.result;
        await follower?.result;
      }
      for (const id of [first, second]) {
        expectExit(
          await runAos(["cancel", id], { env }),
          0,
        );
      }
      for (const id of [first, second]) await h.waitForEnd(id);
    },
  );
});
