/**
 * /docs in a real browser (Debian's chromium via puppeteer-core): Swagger UI
 * renders every operation from the service's own files alone — no request
 * leaves the service — and with AOS_API_TOKEN set, "Authorize" makes "Try it
 * out" send the token, so a protected call answers 200.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { withBrowser } from "./support/browser.ts";
import { withHarness } from "./support/harness.ts";

const TOKEN = "tok-docs-browser";

Deno.test("/docs: Swagger UI renders offline and Authorize sends the bearer token", async () => {
  await withHarness({
    env: { AOS_API_TOKEN: TOKEN, AOS_WORKERS: "false" },
  }, async (h) => {
    await withBrowser(async (open) => {
      const watched = await open();
      const { page } = watched;
      await page.goto(`${h.svc.url}/docs`, { waitUntil: "networkidle0" });
      await page.waitForSelector("#operations-runs-listRuns", {
        timeout: 15_000,
      });
      const operations = await page.$$eval(".opblock", (els) => els.length);
      assert(operations >= 10, `${operations} operations rendered`);

      // Authorize: the bearer scheme the document applies.
      await page.click(".btn.authorize");
      await page.waitForSelector(".modal-ux input");
      await page.type(".modal-ux input", TOKEN);
      await page.click(".modal-ux .auth-btn-wrapper .authorize");
      await page.click(".modal-ux .btn-done");

      // Try GET /runs, a protected operation.
      await page.click("#operations-runs-listRuns .opblock-summary");
      await page.waitForSelector("#operations-runs-listRuns .try-out__btn");
      await page.click("#operations-runs-listRuns .try-out__btn");
      await page.click("#operations-runs-listRuns .execute");
      await page.waitForSelector(
        "#operations-runs-listRuns .live-responses-table .response-col_status",
        { timeout: 15_000 },
      );
      const statuses = await page.$$eval(
        "#operations-runs-listRuns .live-responses-table .response-col_status",
        (els) => els.map((el) => (el.textContent ?? "").trim()),
      );
      // The header cell says "Code"; the answer's row holds the status.
      assertEquals(
        statuses.filter((s) => /^\d{3}/.test(s)).map((s) => s.slice(0, 3)),
        ["200"],
      );
      assertEquals(watched.foreign(h.svc.url), [], "requests to other hosts");
      assertEquals(watched.errors, [], "console errors");
    });
  });
});
