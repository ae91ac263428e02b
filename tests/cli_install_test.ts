/**
 * The `aos` command installed as a user would (README "Install the CLI"):
 * `deno install -g` into a temporary DENO_INSTALL_ROOT, then run from a
 * directory outside the checkout against a real service — no `deno task`
 * banner, and the run's dashboard link printed by `submit` and `status`.
 */
import assert from "node:assert/strict";
import { withHarness } from "./support/harness.ts";
import { withTempDir } from "../lib/workspace/testing.ts";

const checkout = new URL("../", import.meta.url).pathname;

async function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env ?? {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name:
    "aos installed with deno install -g works from another directory: validate, submit and status print the run link, no task banner",
  sanitizeResources: false,
  fn: async () => {
    await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
      await withTempDir("aos_install_", async (dir) => {
        const root = `${dir}/root`;
        const elsewhere = `${dir}/elsewhere`;
        await Deno.mkdir(elsewhere);
        const installed = await run(Deno.execPath(), [
          "install",
          "-g",
          "-A",
          "-n",
          "aos",
          "--root",
          root,
          "--config",
          `${checkout}deno.json`,
          `${checkout}cli/main.ts`,
        ], { cwd: elsewhere, env: { DENO_DIR: denoDir(), PATH: path() } });
        assert.equal(installed.code, 0, installed.stderr);
        const aos = `${root}/bin/aos`;
        await Deno.writeTextFile(
          `${elsewhere}/task.md`,
          h.workOrder({ title: "Installed CLI" }),
        );
        const env = { ...h.cliEnv, DENO_DIR: denoDir(), PATH: path() };

        const validated = await run(aos, ["validate", "task.md"], {
          cwd: elsewhere,
          env,
        });
        assert.equal(validated.code, 0, validated.stderr);
        assert.match(validated.stdout, /^OK: Installed CLI/);
        assert.doesNotMatch(validated.stderr, /Task aos/);

        const submitted = await run(aos, ["submit", "task.md"], {
          cwd: elsewhere,
          env,
        });
        assert.equal(submitted.code, 0, submitted.stderr);
        const id = submitted.stdout.match(/^Run: +(\S+)$/m)?.[1] ?? "";
        const link = `${h.svc.url}/ui/runs/${id}`;
        assert.match(submitted.stdout, new RegExp(`^Link: +${link}$`, "m"));
        assert.equal(submitted.stderr, "");

        const status = await run(aos, ["status", id], { cwd: elsewhere, env });
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, /^Status: +PENDING$/m);
        assert.match(status.stdout, new RegExp(`^Link: +${link}$`, "m"));
        assert.equal(status.stderr, "");
        // The link is the run's page.
        const page = await fetch(link);
        assert.equal(page.status, 200);
        await page.body?.cancel();

        const timeout = await run(
          aos,
          ["submit", "task.md", "--timeout", "9"],
          {
            cwd: elsewhere,
            env,
          },
        );
        assert.equal(timeout.code, 2);
        assert.match(timeout.stderr, /--timeout needs --wait/);
      });
    });
  },
});

/** Deno's cache, so the install needs no download. */
function denoDir(): string {
  return Deno.env.get("DENO_DIR") ??
    `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
}

function path(): string {
  return Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
}
