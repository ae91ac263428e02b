/**
 * Best-of-N survives a crash: the service is SIGKILLed while one attempt's
 * SE call is in flight and the other two attempts are already checked, and
 * restarted as another worker. The unfinished attempt resumes from its own
 * journal (its actor is found again, owned by the run), and every attempt's
 * output, check and usage count exactly once.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { RunStore } from "../lib/store/mod.ts";
import type { RunEvent } from "../lib/store/mod.ts";
import { CALCULATOR_PY } from "./support/calculator.ts";
import { seedRepo } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import {
  finishCall,
  poVerdict,
  reply,
  type ScriptedReply,
  startScriptedModel,
  writeFileCall,
} from "../lib/llm/testing.ts";
import {
  postRun,
  serviceEnv,
  ServiceProcess,
  waitForRunEnd,
} from "./support/server_process.ts";

const USAGE = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
const paid = (r: ScriptedReply): ScriptedReply => ({ ...r, usage: USAGE });
const WRONG_PY = "def add(a, b):\n    return a - b\n";

Deno.test("a best-of-N run killed mid-attempt resumes that attempt from its journal and counts every attempt once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_best_of_n_crash_" });
  const finish = paid(reply(finishCall("finished after the restart")));
  const model = await startScriptedModel({
    se: [],
    po: [paid(poVerdict("PASS", "adds"))],
    models: {
      "coder-a": [
        paid(
          reply(writeFileCall("calculator.py", CALCULATOR_PY), finishCall("a")),
        ),
      ],
      "coder-b": [
        paid(reply(writeFileCall("calculator.py", WRONG_PY))),
        // In flight when the process dies; the resumed turn gets `finish`.
        { delayMs: 60_000, then: finish },
        finish,
      ],
      "coder-c": [
        paid(reply(writeFileCall("calculator.py", WRONG_PY), finishCall("c"))),
      ],
    },
  });
  let server: ServiceProcess | null = null;
  try {
    const remote = await seedRepo(dir, { "README.md": "# calc\n" });
    const env = (workspaces: string) =>
      serviceEnv({
        dir,
        kv: `${dir}/aos.kv`,
        modelUrl: model.url,
        apiKey: "sk-best-of-n-crash",
        extra: {
          WORKSPACE_ROOT: `${dir}/${workspaces}`,
          AOS_MODEL: "gpt-4.1-mini",
        },
      });
    server = await ServiceProcess.start(env("ws_first"));
    const id = await postRun(server.url, {
      repo: remote,
      push_branch: "aos/crash",
      acceptance_commands: [
        `python3 -c "from calculator import add; assert add(1, 2) == 3"`,
      ],
      attempts: 3,
      attempt_models: ["coder-a", "coder-b", "coder-c"],
      task: "Create calculator.py with add(a, b).",
    });
    const requestsOf = (name: string) =>
      model.requests.filter((r) =>
        (r.body as { model?: string }).model === name
      );
    const url = server.url;
    const events = async () =>
      await (await fetch(`${url}/runs/${id}/events`)).json() as RunEvent[];
    // Attempts 1 and 3 checked, attempt 2's second call hanging.
    await until(
      "attempts 1 and 3 checked, 2 in flight",
      async () => {
        const checked = (await events()).filter((e) => e.kind === "TR_APPLY")
          .map((e) => e.payload.attempt);
        return checked.includes(1) && checked.includes(3) &&
          requestsOf("coder-b").length >= 2;
      },
      60_000,
      50,
    );

    await server.restart(env("ws_second"));
    const run = await waitForRunEnd(server.url, id, 90_000);
    await server.stop();

    assertEquals(run.status, "SUCCEEDED", run.error ?? "");
    // Only attempt 2's call in flight was sent again.
    assertEquals(
      ["coder-a", "coder-b", "coder-c"].map((m) => requestsOf(m).length),
      [1, 3, 1],
    );
    const kv = await Deno.openKv(`${dir}/aos.kv`);
    try {
      const store = new RunStore(kv);
      const log = await store.listEvents(id);
      const attemptsOf = (kind: string) =>
        log.filter((e) => e.kind === kind).map((e) => e.payload.attempt)
          .sort();
      assertEquals(attemptsOf("SE_OUTPUT"), [1, 2, 3]);
      assertEquals(attemptsOf("TR_APPLY"), [1, 2, 3]);
      const picked = log.filter((e) => e.kind === "ATTEMPT_PICKED");
      assertEquals(picked.map((e) => e.payload.attempt), [1]);
      // Paid: 1 + 3 + 1 SE replies (the one lost in the kill was never answered) and the PO's.
      const summary = log.find((e) =>
        e.kind === "SE_OUTPUT" && e.payload.attempt === 2
      );
      assertEquals(summary?.payload.summary, "finished after the restart");
      assertEquals(run.usage.total_tokens, 5 * 110);
      let left = 0;
      for await (const _ of kv.list({ prefix: ["aos", "journal", id] })) left++;
      assertEquals(left, 0);
    } finally {
      kv.close();
    }
    assert(model.remaining().po === 0);
  } finally {
    await server?.stop();
    await model.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
