/**
 * The Deno Deploy layout (README "Hosting the API on Deno Deploy"): a process
 * that sees DENO_DEPLOYMENT_ID serves the API only, on the Postgres its
 * self-hosted workers share; runs submitted there are run by the workers.
 * Refused layouts exit at start, naming the variable.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { freshSchemaUrl } from "../lib/store/testing.ts";
import { PASS, writeCalculator } from "./support/calculator.ts";
import { withHarness } from "./support/harness.ts";
import { ServiceProcess } from "./support/server_process.ts";

const MODEL_SCRIPT = {
  se: [writeCalculator("done")],
  po: [PASS],
};

Deno.test("Deno Deploy layout: an API-only process on DENO_DEPLOYMENT_ID, a self-hosted worker, one Postgres", async () => {
  const store = await freshSchemaUrl("deploy");
  try {
    // The harness service is the self-hosted worker on the shared database.
    await withHarness(
      { script: MODEL_SCRIPT, env: { AOS_KV: store.url } },
      async (h) => {
        // What Deploy gives a process: its deployment id, no workspace, no
        // sandbox, no AOS_WORKERS.
        const child = await ServiceProcess.start({
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          DENO_DEPLOYMENT_ID: "aos-test-deployment",
          AOS_KV: store.url,
          PORT: "0",
          AOS_HOST: "127.0.0.1",
          AOS_ALLOW_LOCAL_REPOS: "true",
        });
        try {
          const api = child.url;
          assertEquals((await fetch(`${api}/readyz`)).status, 200);
          const res = await fetch(`${api}/runs`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              work_order_md: h.workOrder({
                push_branch: "aos/deploy",
                acceptance_commands: ["python3 -c 'import calculator'"],
              }),
            }),
          });
          assertEquals(res.status, 201);
          const { id } = await res.json();
          let run = { status: "PENDING" };
          for (
            let i = 0;
            i < 600 && !["SUCCEEDED", "FAILED"].includes(run.status);
            i++
          ) {
            await new Promise((r) => setTimeout(r, 50));
            run = await (await fetch(`${api}/runs/${id}?consistency=strong`))
              .json();
          }
          assertEquals(run.status, "SUCCEEDED");
          assertEquals(
            await h.remoteFile("aos/deploy", "calculator.py"),
            "def add(a, b):\n    return a + b\n",
          );
        } finally {
          await child.stop();
        }
      },
    );
  } finally {
    await store.drop();
  }
});

Deno.test("Deno Deploy layout: a local KV or AOS_WORKERS=true there ends the process at start, naming the variable", async () => {
  for (
    const [env, field] of [
      [{}, "AOS_KV"],
      [
        { AOS_KV: "postgres://u:pw-secret@127.0.0.1:1/x", AOS_WORKERS: "true" },
        "AOS_WORKERS",
      ],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-kv",
        new URL("../main.ts", import.meta.url).pathname,
      ],
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        DENO_DEPLOYMENT_ID: "aos-test-deployment",
        PORT: "0",
        ...env,
      },
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(!out.success, `exits with an error: ${field}`);
    assert(stderr.includes(field), stderr);
    assert(!stderr.includes("pw-secret"), stderr);
  }
});
