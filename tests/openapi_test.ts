/**
 * The OpenAPI document is the contract clients are generated from: it must
 * pass Redocly's recommended lint with no error, and a client generated from
 * the live document (openapi-typescript + openapi-fetch) must type-check and
 * drive the real server — submit, get, list, events, artifacts (JSON and the
 * patch) and cancel.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { withTestApp } from "../routes/testing.ts";
import { withHarness } from "./support/harness.ts";
import { finishCall, poVerdict, writeFileCall } from "../lib/llm/testing.ts";

const REDOCLY = "npm:@redocly/cli@2.77.0";
const OPENAPI_TYPESCRIPT = "npm:openapi-typescript@7.13.0";
const TOKEN = "tok-openapi-test";

const finish = finishCall("done");
const pass = poVerdict("PASS", "ok");

/** Runs `deno <args>`; throws with its output unless it exits 0. */
async function deno(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    ...opts,
    env: {
      NO_COLOR: "1",
      REDOCLY_TELEMETRY: "off",
      REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `deno ${args.join(" ")} exited ${out.code}:\n${text}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return text;
}

Deno.test("OpenAPI: Redocly's recommended rules find no error in the live document (auth on and off)", async () => {
  await withHarness({
    env: { AOS_API_TOKEN: TOKEN, AOS_WORKERS: "false" },
  }, async (h) => {
    const live = await fetch(`${h.svc.url}/openapi.json`);
    assertEquals(live.status, 200, "the document needs no token");
    await Deno.writeTextFile(`${h.dir}/auth.json`, await live.text());
    await withTestApp({}, async ({ app }) => {
      await Deno.writeTextFile(
        `${h.dir}/open.json`,
        await (await app.request("/openapi.json")).text(),
      );
    });
    for (const file of ["auth.json", "open.json"]) {
      const report = JSON.parse(
        await deno(["run", "-A", REDOCLY, "lint", "--format=json", file], {
          cwd: h.dir,
        }).catch((error) => {
          // Redocly exits 1 when it finds errors: show them.
          throw new Error(`${file}: ${error.message}`);
        }),
      );
      assertEquals(report.totals.errors, 0, JSON.stringify(report.problems));
    }
  });
});

Deno.test("OpenAPI: a client generated from the live document type-checks and drives the server", async () => {
  await withHarness({
    env: { AOS_API_TOKEN: TOKEN },
    script: {
      se: [
        {
          tool_calls: [
            writeFileCall(
              "calculator.py",
              "def add(a, b):\n    return a + b\n",
            ),
            finish,
          ],
        },
        // The second run's model call hangs until cancelled.
        { delayMs: 120_000, then: { tool_calls: [finish] } },
      ],
      po: [pass],
    },
  }, async (h) => {
    const dir = `${h.dir}/client`;
    await Deno.mkdir(dir);
    await deno([
      "run",
      "-A",
      OPENAPI_TYPESCRIPT,
      `${h.svc.url}/openapi.json`,
      "-o",
      `${dir}/typed_client_schema.d.ts`,
    ]);
    await Deno.copyFile(
      new URL("./support/typed_client_driver.ts", import.meta.url),
      `${dir}/driver.ts`,
    );
    const config = JSON.parse(
      await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
    );
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        compilerOptions: config.compilerOptions,
        imports: { "openapi-fetch": config.imports["openapi-fetch"] },
      }),
    );
    await deno(["check", "driver.ts"], { cwd: dir });
    const md = `${dir}/task.md`;
    await Deno.writeTextFile(
      md,
      h.workOrder({
        title: "Typed client",
        push_branch: "aos/typed-client",
        acceptance_commands: ["true"],
      }),
    );
    const out = await deno(["run", "-A", "driver.ts", h.svc.url, TOKEN, md], {
      cwd: dir,
    });
    const result = JSON.parse(out.trim().split("\n").at(-1)!);
    assert(result.ok);
    assert(["CANCELLED", "RUNNING", "PENDING"].includes(result.cancelled));
  });
});
