import assert from "node:assert/strict";
import {
  pullRequestBody,
  type PullRequestFacts,
  pullRequestTitle,
  runMarker,
} from "./body.ts";
import { repoPathOf } from "./mod.ts";

const facts: PullRequestFacts = {
  runId: "run-1",
  runUrl: null,
  title: null,
  task: "## Add multiply\n\nImplement multiply(a, b).",
  iteration: 2,
  maxIterations: 5,
  commands: [
    {
      command: "python3 -m pytest `-q`",
      exit_code: 0,
      duration_ms: 1234,
      output: "",
      truncated: false,
      timed_out: false,
    },
    {
      command: "sleep 999",
      exit_code: null,
      duration_ms: 300_000,
      output: "",
      truncated: false,
      timed_out: true,
    },
  ],
  verdict: {
    iteration: 2,
    decision: "PASS",
    feedback: "Looks right.",
    by_model: true,
  },
  extra: "Closes #12",
};

Deno.test("pullRequestTitle() uses the work order title, else the task's first line", () => {
  assert.equal(pullRequestTitle(facts), "AOS: Add multiply");
  assert.equal(pullRequestTitle({ ...facts, title: "Multiply" }), "Multiply");
  assert.equal(
    pullRequestTitle({ ...facts, title: "x".repeat(300) }).length,
    256,
  );
});

Deno.test("pullRequestBody() carries the task, iterations, each command, the verdict and the run", () => {
  const body = pullRequestBody(facts);
  assert.ok(body.startsWith("Closes #12\n"));
  assert.match(
    body,
    /Opened by AOS run `run-1` after 2 of at most 5 iteration\(s\)\./,
  );
  assert.match(body, /Implement multiply\(a, b\)\./);
  assert.match(body, /- PASS `python3 -m pytest '-q'` — exit 0, 1\.2 s/);
  assert.match(body, /- FAIL `sleep 999` — timed out, 300\.0 s/);
  assert.match(body, /\*\*PASS\*\*: Looks right\./);
  assert.ok(body.endsWith(runMarker("run-1")));
  const linked = pullRequestBody({
    ...facts,
    runUrl: "https://aos.example/ui/runs/run-1",
  });
  assert.match(linked, /\[run-1\]\(https:\/\/aos\.example\/ui\/runs\/run-1\)/);
  const huge = pullRequestBody({
    ...facts,
    commands: Array.from(
      { length: 2000 },
      (_, i) => ({ ...facts.commands[0]!, command: `c${i} ${"y".repeat(40)}` }),
    ),
  });
  assert.ok(huge.length <= 60_000);
  assert.ok(huge.endsWith(runMarker("run-1")));
});

Deno.test("repoPathOf() reads owner/name from an http(s) repository URL", () => {
  assert.deepEqual(repoPathOf("https://gitlab.example.com/g/sub/r.git"), {
    host: "gitlab.example.com",
    path: "g/sub/r",
  });
  assert.deepEqual(repoPathOf("https://h:8443/o/r/"), {
    host: "h:8443",
    path: "o/r",
  });
  assert.equal(repoPathOf("git@github.com:o/r.git"), null);
  assert.equal(repoPathOf("https://h/only"), null);
});
