/**
 * A real browser for the dashboard tests: Debian's Chromium driven by
 * puppeteer-core (no bundled browser download). Every page records the
 * requests it makes and the console errors it logs, so tests can assert
 * that the dashboard talks to no host but the service and logs no error.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Chromium is; `AOS_CHROMIUM` overrides. */
export const CHROMIUM = Deno.env.get("AOS_CHROMIUM") ?? "/usr/bin/chromium";

/** A page plus what it did. */
export interface WatchedPage {
  page: Page;
  /** Every URL the page requested (documents, assets, fetches, streams). */
  requests: string[];
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
  /** Requests to anything but `origin` (data: URLs excepted). */
  foreign(origin: string): string[];
}

/** Launches Chromium headless; `fn` gets a factory of watched pages. `args` adds command-line switches. */
export async function withBrowser(
  fn: (open: (opts?: { width?: number }) => Promise<WatchedPage>) => Promise<
    void
  >,
  opts: { args?: string[] } = {},
): Promise<void> {
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI: Chromium's own sandbox needs an unprivileged user.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      ...(opts.args ?? []),
    ],
  });
  try {
    await fn(async (opts = {}) => {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: opts.width ?? 1280, height: 900 });
      const requests: string[] = [];
      const errors: string[] = [];
      await page.setRequestInterception(true);
      page.on("request", (request) => {
        requests.push(request.url());
        request.continue();
      });
      page.on("console", (message) => {
        if (message.type() === "error") {
          errors.push(`${message.text()} (${message.location()?.url ?? ""})`);
        }
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("dialog", (dialog) => dialog.accept());
      return {
        page,
        requests,
        errors,
        foreign: (origin) =>
          requests.filter((url) =>
            !url.startsWith(`${origin}/`) && !url.startsWith("data:")
          ),
      };
    });
  } finally {
    await browser.close();
  }
}
