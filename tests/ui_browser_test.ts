/**
 * The dashboard in a real browser (Debian Chromium via puppeteer-core)
 * against the real service, git, bwrap and the scripted model: submit the
 * calculator work order through the form, watch it succeed without a reload,
 * read its commands and diff; cancel a slow run from its page; see a broken
 * work order's problems as you type; sign in when AOS_API_TOKEN is set.
 * Every page must talk only to the service and log no console error.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { loadScript, poVerdict, reply, toolCall } from "../lib/llm/testing.ts";
import { type WatchedPage, withBrowser } from "./support/browser.ts";
import { withHarness } from "./support/harness.ts";

// Code in page.evaluate() runs in the browser; Deno's types have no DOM.
interface DomElement {
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
  getBoundingClientRect(): { left: number; right: number; height: number };
  scrollWidth: number;
  clientWidth: number;
}
declare function getComputedStyle(el: unknown): { backgroundColor: string };
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): DomElement | null;
  activeElement: { className: string } | null;
  documentElement: { scrollWidth: number };
};
interface TextArea {
  value: string;
  selectionStart: number;
  selectionEnd: number;
}

const demo = new URL("../examples/demo/", import.meta.url).pathname;
const docs = new URL("../docs/", import.meta.url).pathname;
/** Set to write the README's screenshots into docs/. */
const SCREENSHOTS = Deno.env.get("AOS_UI_SCREENSHOTS") === "1";
const TIMEOUT = 90_000;

async function demoFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${demo}repo`)) {
    if (entry.isFile) {
      files[entry.name] = await Deno.readTextFile(`${demo}repo/${entry.name}`);
    }
  }
  return files;
}

async function text(page: Page, selector: string): Promise<string> {
  return await page.$eval(selector, (el) => el.textContent ?? "");
}

function assertClean(watched: WatchedPage, origin: string): void {
  assertEquals(watched.foreign(origin), [], "requests to other hosts");
  assertEquals(watched.errors, [], "console errors");
}

async function shot(page: Page, name: string, selector?: string) {
  if (!SCREENSHOTS) return;
  await Deno.mkdir(docs, { recursive: true });
  if (selector) {
    const element = await page.$(selector);
    await element!.screenshot({ path: `${docs}${name}` });
  } else await page.screenshot({ path: `${docs}${name}`, fullPage: true });
}

Deno.test({
  name:
    "dashboard: calculator work order submitted by upload succeeds live, with commands and diff",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withHarness({
      files: await demoFiles(),
      script: await loadScript(`${demo}transcript.json`),
    }, async (h) => {
      const workOrder = (await Deno.readTextFile(`${demo}work_order.md`))
        .replace(/^repo: .*$/m, `repo: ${h.remote}`);
      const file = `${h.dir}/work_order.md`;
      await Deno.writeTextFile(file, workOrder);
      await withBrowser(async (open) => {
        const watched = await open({ width: 1400 });
        const { page } = watched;
        await page.goto(`${h.svc.url}/`);
        assertEquals(new URL(page.url()).pathname, "/ui");
        assertMatch(await text(page, "main"), /No runs yet/);

        await Promise.all([
          page.waitForNavigation(),
          page.click("a.button[href='/ui/submit']"),
        ]);
        const input = await page.$("#work-order-file");
        await (input as unknown as { uploadFile(p: string): Promise<void> })
          .uploadFile(file);
        // The file lands in the editor and the server's validator finds nothing.
        await page.waitForFunction(
          () =>
            document.getElementById("issues-state")?.textContent ===
              "No problems",
          { timeout: TIMEOUT },
        );
        assertMatch(
          await page.$eval(
            "#work-order-md",
            (el) => (el as TextArea).value,
          ),
          /multiply/,
        );
        await Promise.all([
          page.waitForNavigation(),
          page.click("#submit-button"),
        ]);
        const runPath = new URL(page.url()).pathname;
        assertMatch(runPath, /^\/ui\/runs\/[0-9a-f-]{36}$/);
        // A marker that a reload would wipe.
        await page.evaluate(() => {
          (globalThis as unknown as { marker: number }).marker = 42;
        });
        await page.waitForSelector('#run-body[data-status="SUCCEEDED"]', {
          timeout: TIMEOUT,
        });
        assertEquals(
          await page.evaluate(() =>
            (globalThis as unknown as { marker?: number }).marker
          ),
          42,
          "the page was reloaded",
        );
        // Iteration 1 failed its acceptance commands, iteration 2 passed them.
        const commands = (iteration: number, state: string) =>
          page.$$eval(
            `#iteration-${iteration} .command.${state}`,
            (els) => els.map((el) => el.textContent ?? ""),
          );
        const failed1 = await commands(1, "failed");
        assert(failed1.length >= 1, "iteration 1 shows a failed command");
        assert(
          failed1.some((t) => /exit 1/.test(t) && /multiply\(6, 7\)/.test(t)),
        );
        assertEquals((await commands(1, "passed")).length, 2 - failed1.length);
        const passed2 = await commands(2, "passed");
        assertEquals(passed2.length, 2);
        assertEquals((await commands(2, "failed")).length, 0);
        assertMatch(await text(page, "#iteration-2 .verdict"), /PASS/);
        assertMatch(
          await text(page, "#result-summary"),
          /pushed to aos\/multiply/,
        );
        // The live log got RUN_END without a reload.
        assertMatch(await text(page, "#event-log"), /RUN_END/);
        // Timeline: two iterations with SE, TR and PO segments.
        assertEquals(
          await page.$$eval("#timeline .track", (els) => els.length) >= 3,
          true,
        );
        assertEquals((await page.$$("#timeline .bar .seg-se")).length, 2);

        // The diff, drawn by diff2html, file by file.
        await page.waitForSelector("#diff-view .d2h-file-name", {
          timeout: TIMEOUT,
        });
        const files = await page.$$eval(
          "#diff-view .d2h-file-name",
          (els) => els.map((el) => el.textContent?.trim()),
        );
        assert(files.includes("calculator.py"), `diff files: ${files}`);
        // Inline by default, whatever the width.
        assertEquals(
          (await page.$$("#diff-view .d2h-file-side-diff")).length,
          0,
        );
        await shot(page, "ui-run.png");
        await shot(page, "ui-diff.png", "#diff");
        await page.click('[data-diff-format="side-by-side"]');
        await page.waitForSelector("#diff-view .d2h-file-side-diff");
        assert(
          (await page.$$("#diff-view .hljs, #diff-view [class*='hljs-']"))
            .length > 0,
          "syntax highlighting",
        );
        await page.click('[data-diff-format="line-by-line"]');
        await page.waitForSelector("#diff-view .d2h-file-diff");

        // Artifacts are listed with download links that work.
        const links = await page.$$eval(
          ".artifacts a",
          (els) => els.map((el) => (el as unknown as { href: string }).href),
        );
        const patch = links.find((l) => l.endsWith("/diff.patch"));
        assert(patch, `artifact links: ${links}`);
        const download = await page.evaluate(async (url) => {
          const res = await fetch(url);
          return { status: res.status, body: await res.text() };
        }, patch);
        assertEquals(download.status, 200);
        assertMatch(download.body, /calculator\.py/);

        // The list shows the run with its numbers.
        await page.goto(`${h.svc.url}/ui`);
        const row = await text(page, "#runs tbody tr");
        assertMatch(row, /Add multiply to the calculator/);
        assertMatch(row, /SUCCEEDED/);
        assertMatch(row, /2\/3/);
        assertMatch(await text(page, "#status-filter"), /SUCCEEDED\s*1/);
        await shot(page, "ui-runs.png");
        assertClean(watched, h.svc.url);
      });
    });
  },
});

Deno.test({
  name:
    "dashboard: a slow run is cancelled from its page; the list updates in place",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withHarness({
      script: {
        se: [{
          delayMs: 120_000,
          then: {
            tool_calls: [{ name: "finish", arguments: { summary: "x" } }],
          },
        }],
        po: [],
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({ title: "Slow run" }));
      await withBrowser(async (open) => {
        const list = await open({ width: 360 });
        await list.page.goto(`${h.svc.url}/ui`);
        await list.page.waitForSelector(
          `#run-${run.id}[data-status="RUNNING"]`,
          { timeout: TIMEOUT },
        );
        const watched = await open({ width: 360 });
        const { page } = watched;
        await page.goto(`${h.svc.url}/ui/runs/${run.id}`);
        await page.waitForSelector("form.cancel button");
        await page.click("form.cancel button");
        await page.waitForSelector('#run-body[data-status="CANCELLED"]', {
          timeout: TIMEOUT,
        });
        assertEquals(await page.$("form.cancel"), null);
        const runWidth = await page.evaluate(() =>
          document.documentElement.scrollWidth
        );
        assert(runWidth <= 360, `run page is ${runWidth} px wide at 360`);
        // The Cancel button went away with the refresh: focus moved to the heading.
        assertEquals(
          await page.evaluate(() => document.activeElement?.className),
          "run-title",
        );
        assertEquals((await h.svc.store.getRun(run.id)).status, "CANCELLED");
        // The list page, never reloaded, shows the new status and counts.
        await list.page.waitForSelector(
          `#run-${run.id}[data-status="CANCELLED"]`,
          { timeout: TIMEOUT },
        );
        await list.page.waitForFunction(
          () =>
            /CANCELLED\s*1/.test(
              document.getElementById("status-filter")?.textContent ?? "",
            ),
          { timeout: TIMEOUT },
        );
        // Keyboard: the skip link is the first stop.
        await list.page.keyboard.press("Tab");
        assertEquals(
          await list.page.evaluate(() => document.activeElement?.className),
          "skip",
        );
        // Usable at 360 px: nothing wider than the viewport.
        const overflow = await list.page.evaluate(() =>
          document.documentElement.scrollWidth
        );
        assert(overflow <= 360, `runs page is ${overflow} px wide at 360`);
        assertClean(watched, h.svc.url);
        assertClean(list, h.svc.url);
      });
    });
  },
});

Deno.test({
  name:
    "dashboard: a malformed work order shows each problem beside the editor as you type",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withHarness({}, async (h) => {
      await withBrowser(async (open) => {
        const watched = await open();
        const { page } = watched;
        await page.goto(`${h.svc.url}/ui/submit`);
        await page.focus("#work-order-md");
        await page.keyboard.type(
          "---\nrepo: ''\nmax_iterations: 99\nbogus: 1\n---\n\nDo it.\n",
        );
        await page.waitForSelector('#issues li[data-field="max_iterations"]', {
          timeout: TIMEOUT,
        });
        const issues = await page.$$eval(
          "#issues li",
          (els) => els.map((el) => el.textContent ?? ""),
        );
        assert(
          issues.some((t) => /line 3/.test(t) && /max_iterations/.test(t)),
          issues.join("\n"),
        );
        assert(issues.some((t) => /bogus/.test(t)), issues.join("\n"));
        assert(issues.some((t) => /repo/.test(t)), issues.join("\n"));
        assertEquals(
          await page.$eval(
            "#work-order-md",
            (el) => el.getAttribute("aria-invalid"),
          ),
          "true",
        );
        // Keyboard: Tab from the editor reaches the first problem; Enter selects its line.
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() =>
          document.activeElement?.className
        );
        assertEquals(focused, "issue-jump");
        // Submitting anyway stays on the page with the problems in focus.
        await page.click("#submit-button");
        assertEquals(new URL(page.url()).pathname, "/ui/submit");
        assertEquals(
          await page.evaluate(() => document.activeElement?.className),
          "issue-jump",
        );
        // Enter on a problem selects its line in the editor.
        await page.keyboard.press("Enter");
        const selected = await page.$eval("#work-order-md", (el) => {
          const area = el as TextArea;
          return area.value.slice(area.selectionStart, area.selectionEnd);
        });
        assertMatch(selected, /^(repo|max_iterations|bogus):/);
        assertEquals(await h.svc.store.counts().then((c) => c.total), 0);
        assertClean(watched, h.svc.url);
      });
    });
  },
});

Deno.test({
  name:
    "dashboard: with AOS_API_TOKEN pages redirect to sign-in, work after it, and sign-out ends the session",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const token = "ui-test-token-5b8e1f0c2d";
    await withHarness({ env: { AOS_API_TOKEN: token } }, async (h) => {
      await withBrowser(async (open) => {
        const watched = await open();
        const { page } = watched;
        await page.goto(`${h.svc.url}/ui/submit`);
        assertEquals(new URL(page.url()).pathname, "/ui/login");
        assertEquals(
          new URL(page.url()).searchParams.get("next"),
          "/ui/submit",
        );
        await page.type("#token", "wrong-token");
        await Promise.all([
          page.waitForNavigation(),
          page.click("button.primary"),
        ]);
        assertMatch(
          await text(page, "#login-problem"),
          /not the service's API token/,
        );
        await page.type("#token", token);
        await Promise.all([
          page.waitForNavigation(),
          page.click("button.primary"),
        ]);
        assertEquals(new URL(page.url()).pathname, "/ui/submit");
        const cookies = await page.cookies();
        const session = cookies.find((c) => c.name === "aos_session");
        assert(session, "session cookie set");
        assertEquals(session.httpOnly, true);
        assertEquals(session.sameSite, "Strict");
        assert(!session.value.includes(token));
        // Signed in, the form submits (with its CSRF token) and lands on the run.
        await page.focus("#work-order-md");
        await page.keyboard.type(
          `---\nrepo: ${h.remote}\ntitle: Signed in\n---\n\nTask.\n`,
        );
        await Promise.all([
          page.waitForNavigation(),
          page.click("#submit-button"),
        ]);
        assertMatch(new URL(page.url()).pathname, /^\/ui\/runs\//);
        assert(!(await page.content()).includes(token), "token in the page");
        // Sign out: back to sign-in, and the old cookie no longer opens anything.
        await Promise.all([
          page.waitForNavigation(),
          page.click(".signout button"),
        ]);
        assertEquals(new URL(page.url()).pathname, "/ui/login");
        const again = await fetch(`${h.svc.url}/ui`, {
          headers: { cookie: `aos_session=${session.value}` },
          redirect: "manual",
        });
        await again.body?.cancel();
        assertEquals(again.status, 303);
        for (const url of watched.requests) assert(!url.includes(token), url);
        // The API still wants the bearer token; the dashboard cookie is not one.
        const api = await fetch(`${h.svc.url}/runs`, {
          headers: { cookie: `aos_session=${session.value}` },
        });
        await api.body?.cancel();
        assertEquals(api.status, 401);
        assertClean(watched, h.svc.url);
      });
    });
  },
});

Deno.test({
  name:
    "dashboard: a run that failed at max_iterations shows a red result, no phantom iteration, SE steps, and an inline diff whose long lines wrap beside their numbers",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const long = `LONG = "${"abcdefghij ".repeat(30)}end"\n`;
    const turn = (n: number) => [
      reply(toolCall("read_file", { path: "README.md" })),
      reply(toolCall("write_file", {
        path: "long.py",
        content: `${long}# try ${n}\n`,
      })),
      reply(toolCall("finish", { summary: `try ${n}` })),
    ];
    await withHarness({
      script: {
        se: [...turn(1), ...turn(2)],
        po: [poVerdict("FAIL", "still red"), poVerdict("FAIL", "still red")],
      },
    }, async (h) => {
      const run = await h.submit(h.workOrder({
        title: "Fails twice",
        max_iterations: 2,
        acceptance_commands: ["echo nope; exit 1"],
      }));
      assertEquals((await h.waitForEnd(run.id)).status, "FAILED");
      await withBrowser(async (open) => {
        const watched = await open({ width: 1400 });
        const { page } = watched;
        await page.goto(`${h.svc.url}/ui/runs/${run.id}`);
        await page.waitForSelector("#diff-view .d2h-file-diff", {
          timeout: TIMEOUT,
        });
        // The result box is red, not green.
        const box = await page.$eval(
          "#result-summary",
          (el) => getComputedStyle(el).backgroundColor,
        );
        assertEquals(box, "rgb(253, 236, 234)");
        // Two iterations, not a third "Iteration 3 · SE 0 ms".
        const tracks = await page.$$eval(
          "#timeline .track-label",
          (els) => els.map((el) => el.textContent ?? ""),
        );
        assertEquals(tracks, ["Prepare", "Iteration 1", "Iteration 2"]);
        assertEquals((await page.$$("section.iteration")).length, 2);
        // The SE's steps, from its transcript.
        await page.click("#se-steps-1 summary");
        const tools = await page.$$eval(
          "#se-steps-1 .tool",
          (els) => els.map((el) => el.textContent ?? ""),
        );
        assertEquals(tools, ["read_file", "write_file", "finish"]);
        // Inline at 1400 px; the long line wraps, nothing scrolls sideways,
        // and each line number sits left of its code, never over it.
        const layout = await page.evaluate(() => {
          const view = document.querySelector("#diff-view")!;
          const rows = [...view.querySelectorAll("tr")].flatMap((tr) => {
            const num = tr.querySelector(".d2h-code-linenumber");
            const code = tr.querySelector(".d2h-code-line");
            if (!num || !code) return [];
            const a = num.getBoundingClientRect();
            const b = code.getBoundingClientRect();
            const oldNum = num.querySelector(".line-num1");
            const newNum = num.querySelector(".line-num2");
            if (!oldNum || !newNum) return [];
            const old = oldNum.getBoundingClientRect();
            const now = newNum.getBoundingClientRect();
            return [{
              numRight: a.right,
              codeLeft: b.left,
              height: b.height,
              oldLeft: old.left,
              newLeft: now.left,
              numHeight: a.height,
            }];
          });
          return {
            sideBySide: view.querySelectorAll(".d2h-file-side-diff").length,
            overflow: view.scrollWidth - view.clientWidth,
            rows,
          };
        });
        assertEquals(layout.sideBySide, 0);
        assert(layout.overflow <= 1, `diff scrolls by ${layout.overflow} px`);
        assert(layout.rows.length >= 2, JSON.stringify(layout.rows));
        for (const row of layout.rows) {
          assert(row.numRight <= row.codeLeft + 0.5, JSON.stringify(row));
          // The old number's column left of the new one's, as drawn by git.
          assert(row.oldLeft < row.newLeft, JSON.stringify(row));
        }
        const tallest = Math.max(...layout.rows.map((r) => r.height));
        assert(
          tallest > 1.5 * layout.rows[0]!.height || tallest > 30,
          `the long line wrapped (${tallest} px)`,
        );
        await shot(page, "ui-run-failed.png");
        assertClean(watched, h.svc.url);
      });
    });
  },
});
