/**
 * A work-order fuzz: mutated work order files must get the same verdict —
 * the same problems, field by field — from `aos validate` (the CLI's reader,
 * and the CLI as a process, whose exit code is only ever 0 or 2), from a
 * multipart upload and from JSON `{work_order_md}` (and the same verdict from
 * the dashboard's upload). One validator, so no way of sending a file may
 * accept what another refuses.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { readWorkOrderFile } from "../cli/work_order_file.ts";
import { CliError } from "../cli/errors.ts";
import { prng } from "./support/api_fuzz.ts";
import { withHarness } from "./support/harness.ts";

const MUTATIONS = 400;
const AS_PROCESS = 36;
const enc = new TextEncoder();

const RICH = `---
title: "Fuzz: every field"
repo: https://github.com/user/repo
clone_branch: main
push_branch: aos/fuzz
max_iterations: 3
acceptance_commands:
  - python3 -m unittest -q
allowed_paths: ["*.py", "src/**"]
forbidden_paths: [secrets/**]
context_files: [README.md]
env: { MODE: test }
max_tool_steps: 20
command_timeout_s: 60
---

Add a multiply function and a test for it.
`;

type Verdict = { ok: boolean; issues: string[] };

function issuesOf(details: unknown): string[] {
  return (details as { field: string; message: string }[])
    .map((d) => `${d.field}: ${d.message}`).sort();
}

function mutate(
  random: () => number,
  source: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const int = (n: number) => Math.floor(random() * n);
  const out = [...source];
  for (let i = 1 + int(4); i > 0; i--) {
    const at = int(out.length + 1);
    const op = int(8);
    if (op === 0) out.splice(at, 1 + int(8));
    else if (op === 1) out.splice(at, 0, int(256));
    else if (op === 2) out[at] = int(256);
    else if (op === 3) out.splice(at, 0, 0xef, 0xbb, 0xbf);
    else if (op === 4) {
      out.splice(
        at,
        0,
        ...enc.encode(
          [
            "---\n",
            "\n",
            ": ",
            "- ",
            "[",
            "'",
            "\t",
            "repo: ",
            "max_iterations: 99\n",
            "env: {AOS_X: 1}\n",
            "push_branch: HEAD\n",
            "\u00e9",
            "\r\n",
          ][int(13)]!,
        ),
      );
    } else if (op === 5) out.splice(at, 0, ...out.slice(at, at + int(40)));
    else if (op === 6) out.length = Math.max(0, Math.min(out.length, at));
    else out.splice(0, 0, 0xef, 0xbb, 0xbf);
  }
  return new Uint8Array(out);
}

Deno.test("work-order fuzz: aos validate, multipart and JSON agree on every mutated file", async () => {
  const seed = Number(Deno.env.get("AOS_FUZZ_SEED") ?? Date.now() % 1e9);
  const random = prng(seed);
  const bases = [
    enc.encode(RICH),
    await Deno.readFile(new URL("../examples/calculator.md", import.meta.url)),
    await Deno.readFile(
      new URL("../examples/demo/work_order.md", import.meta.url),
    ),
  ];
  await withHarness({ env: { AOS_WORKERS: "false" } }, async (h) => {
    // The dashboard's upload, as its own page posts it (CSRF cookie + field).
    const submitPage = await fetch(`${h.svc.url}/ui/submit`);
    const csrf = (await submitPage.text()).match(
      /<meta name="csrf-token" content="([^"]+)"/,
    )![1]!;
    const cookie = submitPage.headers.getSetCookie().map((c) => c.split(";")[0])
      .join("; ");
    const cliVerdicts: Verdict[] = [];
    let accepted = 0;
    for (let n = 0; n < MUTATIONS; n++) {
      const bytes = mutate(random, bases[n % bases.length]!);
      const file = `${h.dir}/wo_${n}.md`;
      await Deno.writeFile(file, bytes);
      const where = `seed ${seed}, mutation ${n} (${file})`;

      let cli: Verdict;
      try {
        await readWorkOrderFile(file);
        cli = { ok: true, issues: [] };
      } catch (error) {
        assert(error instanceof CliError, `${where}: ${error}`);
        assertEquals(error.exitCode, 2, where);
        cli = { ok: false, issues: issuesOf(error.data) };
      }
      cliVerdicts.push(cli);

      const form = new FormData();
      form.append(
        "work_order_md",
        new File([bytes as Uint8Array<ArrayBuffer>], "task.md"),
      );
      const upload = await fetch(`${h.svc.url}/runs/submit`, {
        method: "POST",
        body: form,
      });
      const uploaded = await upload.json();
      assert(upload.status < 500, `${where}: multipart ${upload.status}`);
      const viaForm: Verdict = upload.status === 201
        ? { ok: true, issues: [] }
        : { ok: false, issues: issuesOf(uploaded.error.details ?? []) };
      assertEquals(viaForm, cli, `${where}: multipart vs aos validate`);
      if (cli.ok) accepted++;

      const dashboardForm = new FormData();
      dashboardForm.set("_csrf", csrf);
      dashboardForm.set(
        "work_order_file",
        new File([bytes as Uint8Array<ArrayBuffer>], "task.md"),
      );
      const dashboard = await fetch(`${h.svc.url}/ui/submit`, {
        method: "POST",
        headers: { cookie },
        body: dashboardForm,
        redirect: "manual",
      });
      await dashboard.body?.cancel();
      // The page shows the issues as HTML: the verdict is compared.
      assertEquals(
        dashboard.status,
        cli.ok ? 303 : 422,
        `${where}: dashboard upload vs aos validate`,
      );

      let text: string | null = null;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
          .decode(bytes);
      } catch { /* JSON cannot carry bytes that are not UTF-8 */ }
      if (text === null) continue;
      const sent = await fetch(`${h.svc.url}/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ work_order_md: text }),
      });
      const body = await sent.json();
      const viaJson: Verdict = sent.status === 201
        ? { ok: true, issues: [] }
        : { ok: false, issues: issuesOf(body.error.details ?? []) };
      assertEquals(viaJson, cli, `${where}: JSON vs aos validate`);
    }
    // Both verdicts occur, or the fuzz proves little.
    assert(accepted > 0 && accepted < MUTATIONS, `${accepted} accepted`);

    // The CLI as a process: exit 0 or 2, matching its reader's verdict.
    let next = 0;
    const worker = async () => {
      while (next < AS_PROCESS) {
        const n = next++;
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            new URL("../cli/main.ts", import.meta.url).pathname,
            "validate",
            `${h.dir}/wo_${n}.md`,
          ],
          stdout: "null",
          stderr: "null",
        }).output();
        assertEquals(
          out.code,
          cliVerdicts[n]!.ok ? 0 : 2,
          `seed ${seed}, mutation ${n}: aos validate exit code`,
        );
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });
});
