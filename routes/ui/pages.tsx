/** Routes of the runs list, submit, validate and sign-in pages. */
import type { Hono } from "hono";
import { ValidationError } from "../../lib/errors.ts";
import { decodeWorkOrder, parseWorkOrder } from "../../lib/work_order/mod.ts";
import { readFormFields } from "../bodies.ts";
import { HttpError } from "../errors.ts";
import { parseJsonBody } from "../json_body.ts";
import { ErrorPage } from "./error_page.tsx";
import { runListStream } from "./live.ts";
import { LoginPage } from "./login_page.tsx";
import type { UiContext } from "./context.ts";
import { parseRunsQuery, RunsPage } from "./runs_page.tsx";
import { safeNext, signIn, signOut, type UiEnv } from "./session.ts";
import { locateIssues, SubmitPage } from "./submit_page.tsx";

const FAILED_SIGN_IN_DELAY_MS = 300;
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Registers the page routes. */
export function pageRoutes(ui: Hono<UiEnv>, ctx: UiContext): void {
  ui.get("/ui", async (c) => {
    const query = parseRunsQuery(c.req.query());
    if (Array.isArray(query)) {
      return c.html(
        ErrorPage({
          auth: c.get("auth"),
          title: "Bad request",
          message: "The runs page cannot show that selection",
          problems: query,
        }),
        400,
      );
    }
    const [page, counts] = await Promise.all([
      ctx.store.listRuns({
        limit: query.limit,
        offset: query.offset,
        ...(query.status ? { status: query.status } : {}),
      }),
      ctx.store.counts(),
    ]);
    return c.html(
      <RunsPage
        auth={c.get("auth")}
        runs={page.runs}
        total={page.total}
        counts={counts}
        query={query}
        now={Date.now()}
      />,
    );
  });

  ui.get("/ui/live/runs", (c) => {
    const query = parseRunsQuery(c.req.query());
    const ids = (c.req.query("ids") ?? "").split(",").filter(Boolean);
    const bad = ids.find((id) => !RUN_ID.test(id));
    if (Array.isArray(query) || bad !== undefined || ids.length > 200) {
      return c.json({
        error: {
          code: "bad_request",
          message: bad !== undefined
            ? `ids: '${bad}' is not a run id`
            : Array.isArray(query)
            ? query.join("; ")
            : `ids: at most 200 runs, got ${ids.length}`,
        },
      }, 400);
    }
    return runListStream(c, ctx, ids, query);
  });

  ui.get("/ui/submit", (c) => c.html(<SubmitPage auth={c.get("auth")} />));

  ui.post("/ui/submit", async (c) => {
    // Bytes, as the API reads forms: the browser's text box and file both
    // reach decodeWorkOrder unchanged (a FormData decoder would drop a BOM).
    const fields = await readFormFields(c);
    const file = fields.get("work_order_file")?.[0];
    const text = fields.get("work_order_md")?.[0];
    let md = "";
    try {
      // The one rule of every path (aos validate, JSON, multipart): UTF-8,
      // one byte order mark dropped, a second refused.
      md = decodeWorkOrder(
        file !== undefined && file.length > 0 ? file : text ?? new Uint8Array(),
      );
      const { run } = await ctx.runs.submit({ workOrderMd: md });
      return c.redirect(`/ui/runs/${run.id}`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Refused before decoding: the text box is shown back as best it reads.
      if (md === "" && text !== undefined) md = new TextDecoder().decode(text);
      return c.html(
        <SubmitPage
          auth={c.get("auth")}
          workOrderMd={md}
          issues={error.issues.map((i) => ({
            ...i,
            message: ctx.redactor.redact(i.message),
          }))}
        />,
        422,
      );
    }
  });

  // The same validator the submit uses, as the user types.
  ui.post("/ui/validate", async (c) => {
    let body: { work_order_md?: unknown } | null = null;
    try {
      // The API's strict reader: not UTF-8 or nested too deep is refused.
      const value = parseJsonBody(new Uint8Array(await c.req.arrayBuffer()));
      if (value !== null && typeof value === "object") body = value;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
    }
    if (!body || typeof body.work_order_md !== "string") {
      return c.json({
        error: {
          code: "bad_request",
          message: 'Send JSON { "work_order_md": "…" }',
        },
      }, 400);
    }
    const md = body.work_order_md;
    try {
      parseWorkOrder(md, { repoAllowlist: ctx.config.repoAllowlist });
      return c.json({ ok: true, issues: [] });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const issues = locateIssues(
        md,
        error.issues.map((i) => ({
          ...i,
          message: ctx.redactor.redact(i.message),
        })),
      );
      return c.json({ ok: false, issues });
    }
  });

  ui.get("/ui/login", (c) => {
    const auth = c.get("auth");
    const next = safeNext(c.req.query("next"));
    if (!auth.required || auth.signedIn) return c.redirect(next, 303);
    return c.html(
      <LoginPage
        auth={auth}
        next={next}
        {...(c.req.query("failed")
          ? { problem: "That is not the service's API token" }
          : {})}
      />,
    );
  });

  ui.post("/ui/login", async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === "string" ? form.next : null);
    const token = ctx.config.apiToken;
    if (!token) return c.redirect(next, 303);
    if (
      typeof form.token === "string" &&
      await signIn(c, { apiToken: token, sessions: ctx.sessions }, form.token)
    ) {
      return c.redirect(next, 303);
    }
    // Post/redirect/get: a refresh does not resend the token; the pause
    // makes guessing slow.
    await new Promise((resolve) =>
      setTimeout(resolve, FAILED_SIGN_IN_DELAY_MS)
    );
    return c.redirect(
      `/ui/login?failed=1&next=${encodeURIComponent(next)}`,
      303,
    );
  });

  ui.post("/ui/logout", async (c) => {
    await signOut(c, ctx.sessions);
    return c.redirect(ctx.config.apiToken ? "/ui/login" : "/ui", 303);
  });
}
