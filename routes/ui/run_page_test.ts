/**
 * The run page's sections through `app.request()`: the result box coloured by
 * status, the SE's steps from its transcript, the setup output, and command
 * output with terminal colours that never becomes markup.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { RunService } from "../../actors/run/service.ts";
import { loadConfig } from "../../lib/config.ts";
import { Redactor } from "../../lib/redact.ts";
import { RunStore } from "../../lib/store/mod.ts";
import {
  appendEvent,
  createRun,
  sampleRun,
  tempKv,
} from "../../lib/store/testing.ts";
import { ActorSystem } from "../../runtime/mod.ts";
import { uiApp } from "./mod.ts";

async function withUi(
  fn: (ui: ReturnType<typeof uiApp>, store: RunStore) => Promise<void>,
): Promise<void> {
  const t = await tempKv();
  try {
    const store = new RunStore(t.kv);
    const system = new ActorSystem(t.kv, {
      logKey: (owner, seq) => store.eventKey(owner.id, seq),
    });
    const runs = new RunService({ store, system, repoAllowlist: [] });
    const config = loadConfig({ AOS_KV: ":memory:" });
    await fn(uiApp({ config, store, runs, redactor: new Redactor([]) }), store);
  } finally {
    await t.close();
  }
}

const json = (value: unknown) => JSON.stringify(value);
const HOSTILE = "<script>alert(1)</script>\u001b[31mred\u001b[0m " +
  "\u001b]8;;javascript:alert(1)\u0007click me\u001b]8;;\u0007\n";

/** Markup the page would hold if hostile output became HTML. */
function assertNoInjectedMarkup(html: string): void {
  assert(!html.includes("<script>alert(1)</script>"), "a script tag");
  assert(!html.includes("javascript:"), "a javascript: link");
  assert(!html.includes("\u001b"), "a raw escape code");
}

Deno.test("run page: a FAILED result is in a red box, a SUCCEEDED one in a green box", async () => {
  await withUi(async (ui, store) => {
    const failed = await createRun(
      store,
      sampleRun({ status: "FAILED", result_summary: "FAIL after 2" }),
    );
    const passed = await createRun(
      store,
      sampleRun({ status: "SUCCEEDED", result_summary: "pushed" }),
    );
    assertMatch(
      await (await ui.request(`/ui/runs/${failed.id}`)).text(),
      /class="result result-failed" id="result-summary"/,
    );
    assertMatch(
      await (await ui.request(`/ui/runs/${passed.id}`)).text(),
      /class="result result-succeeded" id="result-summary"/,
    );
  });
});

Deno.test("run page: the SE's steps from its transcript, setup output, coloured command output, no injected markup", async () => {
  await withUi(async (ui, store) => {
    const run = await createRun(store, sampleRun({ status: "RUNNING" }));
    await appendEvent(store, run.id, { kind: "RUN_START", payload: {} });
    await appendEvent(store, run.id, { kind: "WORKSPACE_READY", payload: {} });
    await appendEvent(store, run.id, {
      kind: "SE_OUTPUT",
      iteration: 1,
      payload: { summary: "did it" },
    });
    await store.putArtifact(
      run.id,
      "llm_iter_1_se.json",
      json({
        agent: "se",
        model: "m",
        iteration: 1,
        usage: {
          prompt_tokens: 1000,
          completion_tokens: 234,
          total_tokens: 1234,
          cached_tokens: 0,
          reasoning_tokens: 0,
          cost_usd: 0,
        },
        transcript: {
          messages: [
            { role: "system", content: "s" },
            {
              role: "assistant",
              content: "<img src=x onerror=alert(1)>",
              tool_calls: [{
                id: "c1",
                type: "function",
                function: {
                  name: "read_file",
                  arguments: json({ path: "<b>calc.py</b>" }),
                },
              }],
            },
            { role: "tool", tool_call_id: "c1", content: "1: x = 1" },
          ],
          exchanges: [{ usage: { total_tokens: 1234 } }],
        },
      }),
      "application/json",
    );
    const command = (output: string, exit_code = 0) => ({
      command: "npm test",
      exit_code,
      duration_ms: 5,
      output,
      truncated: false,
      timed_out: false,
    });
    await store.putArtifact(
      run.id,
      "setup_report.json",
      json({
        status: "built",
        environment: "e1",
        commands: [command("setup says hi\n")],
      }),
      "application/json",
    );
    await store.putArtifact(
      run.id,
      "tool_report_iter_1.json",
      json({
        iteration: 1,
        base_commit: "abc",
        applied: 1,
        rejected: [],
        commands: [command(HOSTILE, 1)],
        ok: false,
        diff: "",
      }),
      "application/json",
    );
    const html = await (await ui.request(`/ui/runs/${run.id}`)).text();
    assertMatch(html, /id="se-steps-1"/);
    assertMatch(html, /SE steps · 1 tool call in 1 reply · 1.23k tokens/);
    assertMatch(html, /<code class="tool">read_file<\/code>/);
    assertMatch(html, /&lt;b&gt;calc.py&lt;\/b&gt;/);
    assertMatch(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assertMatch(html, /id="setup"[\s\S]*setup says hi/);
    assertMatch(html, /<span class="ansi-red-fg">red<\/span>/);
    assertMatch(html, /click me/);
    assertNoInjectedMarkup(html);
  });
});

Deno.test("run page: a transcript that is not one is left out, never a 500", async () => {
  await withUi(async (ui, store) => {
    const run = await createRun(store, sampleRun({ status: "RUNNING" }));
    await appendEvent(store, run.id, { kind: "RUN_START", payload: {} });
    await appendEvent(store, run.id, { kind: "WORKSPACE_READY", payload: {} });
    await store.putArtifact(
      run.id,
      "llm_iter_1_se.json",
      "{not json",
      "application/json",
    );
    await store.putArtifact(
      run.id,
      "setup_report.json",
      json({ status: "built", commands: "nope" }),
      "application/json",
    );
    const res = await ui.request(`/ui/runs/${run.id}`);
    assertEquals(res.status, 200);
    const html = await res.text();
    assertMatch(html, /SE steps · 0 tool calls in 0 replies/);
    assert(!html.includes('id="setup"'));
    assertMatch(
      html,
      /Stored artifact &#39;setup_report\.json&#39; does not parse: environment/,
    );
  });
});

Deno.test("run page: a running turn lists its SE_STEP events until its transcript exists, escaped", async () => {
  await withUi(async (ui, store) => {
    const run = await createRun(store, sampleRun({ status: "RUNNING" }));
    await appendEvent(store, run.id, { kind: "RUN_START", payload: {} });
    await appendEvent(store, run.id, { kind: "WORKSPACE_READY", payload: {} });
    await appendEvent(store, run.id, {
      kind: "SE_STEP",
      iteration: 1,
      payload: { step: 1, tool: "read_file", path: "<img src=x>", ok: true },
    });
    await appendEvent(store, run.id, {
      kind: "SE_STEP",
      iteration: 1,
      payload: {
        step: 2,
        tool: "run_command",
        command: "npm test",
        ok: false,
        reason: "tool_error",
      },
    });
    const html = await (await ui.request(`/ui/runs/${run.id}`)).text();
    assertMatch(html, /SE steps so far · 2 tool calls/);
    assertMatch(html, /<code class="args">&lt;img src=x&gt;<\/code>/);
    assertMatch(html, /class="step failed"><code class="tool">run_command/);
    assert(!html.includes("<img src=x>"));
  });
});

Deno.test("run page: a stored report that does not parse is named on the page, the rest still drawn", async () => {
  await withUi(async (ui, store) => {
    const run = await createRun(store, sampleRun({ status: "FAILED" }));
    await store.putArtifact(
      run.id,
      "tool_report_iter_1.json",
      json({ iteration: 1, applied: "all" }),
      "application/json",
    );
    await store.putArtifact(run.id, "diff.patch", "+x\n", "text/x-diff");
    const res = await ui.request(`/ui/runs/${run.id}`);
    assertEquals(res.status, 200);
    const html = await res.text();
    assertMatch(
      html,
      /Stored artifact &#39;tool_report_iter_1\.json&#39; does not parse: base_commit/,
    );
    assert(html.includes("diff.patch"));
  });
});
