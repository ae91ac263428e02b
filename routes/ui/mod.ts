/**
 * The dashboard (DESIGN §8): server-rendered pages under /ui with small
 * progressive scripts, every asset served from here. A Hono sub-app; the API
 * mounts it with one `app.route("/", uiApp(deps))` ahead of its bearer auth,
 * because the dashboard authenticates with its own session cookie.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from "../../lib/errors.ts";
import { SessionStore } from "../../lib/store/mod.ts";
import { HttpError } from "../errors.ts";
import { checkKeyParams } from "../middleware/params.ts";
import { assetRoutes } from "./assets.ts";
import type { UiContext, UiDeps } from "./context.ts";
import { ErrorPage } from "./error_page.tsx";
import { pageRoutes } from "./pages.tsx";
import { runRoutes } from "./run_routes.tsx";
import { type UiEnv, uiGate } from "./session.ts";
import { requestPolicy } from "../middleware/request_guard.ts";

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    // Timeline segments are placed with style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join("; "),
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

/** Builds the dashboard sub-app. */
export function uiApp(deps: UiDeps): Hono<UiEnv> {
  const ctx: UiContext = {
    ...deps,
    sessions: new SessionStore(deps.store.kv, deps.store.keys.prefix),
  };
  const ui = new Hono<UiEnv>();
  ui.get("/", (c) => c.redirect("/ui", 302));
  const secure: MiddlewareHandler = async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      // A route may be stricter (artifact downloads are sandboxed).
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  };
  ui.use("/ui", secure);
  ui.use("/ui/*", secure);
  ui.on(
    "POST",
    "/ui/*",
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: (c) =>
        c.text(
          `Request body is over the ${deps.config.maxBodyBytes}-byte limit`,
          413,
        ),
    }),
  );
  const gate = uiGate({
    apiToken: deps.config.apiToken,
    origins: requestPolicy(deps.config).origins,
    sessions: ctx.sessions,
  });
  ui.use("/ui", gate);
  ui.use("/ui/*", gate);
  // Run ids become KV keys: one too long for a key is a 400, as on the API.
  ui.use("/ui/runs/:id", checkKeyParams);
  ui.use("/ui/runs/:id/*", checkKeyParams);
  assetRoutes(ui);
  pageRoutes(ui, ctx);
  runRoutes(ui, ctx);
  ui.all("/ui/*", (c) =>
    c.html(
      ErrorPage({
        auth: c.get("auth"),
        title: "Not found",
        message: `No dashboard page at ${c.req.path}`,
      }),
      404,
    ));
  ui.onError((error, c) => {
    const json = (c.req.header("accept") ?? "").includes("application/json");
    const [status, title] = error instanceof HttpError
      ? [error.status, "Bad request"] as const
      : error instanceof NotFoundError
      ? [404, "Not found"] as const
      : error instanceof ValidationError
      ? [400, "Bad request"] as const
      : error instanceof ConflictError
      ? [409, "Conflict"] as const
      : [500, "Something went wrong"] as const;
    const message = status === 500
      ? "Internal error; the server log has details"
      : ctx.redactor.redact(error.message);
    if (status === 500) {
      console.error(
        `Dashboard error on ${c.req.method} ${c.req.path}: ${
          ctx.redactor.redact(String(error))
        }`,
      );
    }
    if (json) {
      const code = error instanceof HttpError
        ? error.code
        : title.toLowerCase();
      return c.json({ error: { code, message } }, status);
    }
    const auth = c.get("auth") ??
      { required: false, signedIn: false, csrf: "" };
    return c.html(ErrorPage({ auth, title, message }), status);
  });
  return ui;
}
export type { UiDeps } from "./context.ts";
