/**
 * Who is looking at the dashboard. With AOS_API_TOKEN set, signing in trades
 * the token for a session cookie (HttpOnly, SameSite=Strict, path /ui) and
 * nothing but the sign-in page and its assets is served without one. Every
 * state-changing request must echo the page's anti-CSRF token (form field
 * `_csrf` or header `X-CSRF-Token`) and may not come from another origin.
 * Without a token the CSRF token lives in its own cookie (double submit).
 * The API token itself never reaches a page or a URL.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import {
  randomSecret,
  type SessionStore,
  sha256Hex,
} from "../../lib/store/mod.ts";
import { readFormFields } from "../bodies.ts";
import { tokensEqual } from "../middleware/auth.ts";
import { crossSiteRefusal } from "../middleware/request_guard.ts";

/** The session cookie. */
export const SESSION_COOKIE = "aos_session";
/** The anti-CSRF cookie of visitors without a session. */
export const CSRF_COOKIE = "aos_csrf";
/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/** What the pages know about the visitor. */
export interface UiAuth {
  /** Auth is on (AOS_API_TOKEN set). */
  required: boolean;
  /** May see the dashboard: signed in, or auth is off. */
  signedIn: boolean;
  /** The token forms and scripts must send back. */
  csrf: string;
}

/** Hono environment of the dashboard's routes. */
export type UiEnv = { Variables: { auth: UiAuth } };

const OPEN = /^\/ui\/(?:login|assets\/.*)$/;

/** The access and CSRF gate in front of every /ui route. */
export function uiGate(
  opts: {
    apiToken: string | null;
    sessions: SessionStore;
    /** Origins besides the request's own that may post (AOS_PUBLIC_URL's). */
    origins: readonly string[];
  },
): MiddlewareHandler<UiEnv> {
  const tokenDigest = opts.apiToken ? sha256Hex(opts.apiToken) : null;
  return async (c, next) => {
    let auth: UiAuth | null = null;
    if (tokenDigest) {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id ? await opts.sessions.find(id) : null;
      if (session && session.token_digest === await tokenDigest) {
        auth = { required: true, signedIn: true, csrf: session.csrf };
      }
    }
    if (!auth) {
      let csrf = getCookie(c, CSRF_COOKIE);
      if (!csrf || !/^[A-Za-z0-9_-]{20,128}$/.test(csrf)) {
        csrf = randomSecret();
        setCookie(c, CSRF_COOKIE, csrf, cookieOptions(c));
      }
      auth = { required: tokenDigest !== null, signedIn: !tokenDigest, csrf };
    }
    c.set("auth", auth);
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      const problem = await csrfProblem(c, auth.csrf, opts.origins);
      if (problem) return c.text(problem, 403);
    }
    if (!auth.signedIn && !OPEN.test(c.req.path)) {
      if (method === "GET" && wantsHtml(c)) {
        const url = new URL(c.req.url);
        const next = encodeURIComponent(url.pathname + url.search);
        return c.redirect(`/ui/login?next=${next}`, 303);
      }
      return c.json({
        error: {
          code: "unauthorized",
          message: "Sign in at /ui/login to use the dashboard",
        },
      }, 401);
    }
    await next();
  };
}

/** Signs in with `token`; on success sets the session cookie and returns true. */
export async function signIn(
  c: Context<UiEnv>,
  opts: { apiToken: string; sessions: SessionStore },
  token: string,
): Promise<boolean> {
  if (!(await tokensEqual(token.trim(), opts.apiToken))) return false;
  const { id } = await opts.sessions.open(
    await sha256Hex(opts.apiToken),
    SESSION_TTL_MS,
  );
  setCookie(c, SESSION_COOKIE, id, {
    ...cookieOptions(c),
    maxAge: SESSION_TTL_MS / 1000,
  });
  return true;
}

/** Ends the visitor's session (server side too) and drops its cookie. */
export async function signOut(
  c: Context<UiEnv>,
  sessions: SessionStore,
): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE);
  if (id) await sessions.close(id);
  deleteCookie(c, SESSION_COOKIE, { path: "/ui" });
}

/** A `next=` target that stays on the dashboard, else `/ui`. */
export function safeNext(next: string | undefined | null): string {
  return next && /^\/ui(?:[/?#]|$)/.test(next) && !next.startsWith("//")
    ? next
    : "/ui";
}

function cookieOptions(c: Context) {
  const https = new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto") === "https";
  return {
    path: "/ui",
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: https,
  };
}

function wantsHtml(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept === "" || accept.includes("text/html") || accept === "*/*";
}

async function csrfProblem(
  c: Context,
  expected: string,
  origins: readonly string[],
): Promise<string | null> {
  // The API's rule (routes/middleware/request_guard.ts), so the dashboard
  // holds on its own too.
  const crossSite = crossSiteRefusal(c.req.raw, origins);
  if (crossSite !== null) return crossSite.message;
  let given = c.req.header("x-csrf-token");
  if (!given) {
    const type = c.req.header("content-type") ?? "";
    if (
      /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)
    ) {
      // Read as bytes first: Hono keeps them, so a handler's parseBody() and
      // the submit's byte-exact read (readFormFields) both see the original.
      const field = (await readFormFields(c)).get("_csrf")?.[0];
      if (field !== undefined) given = new TextDecoder().decode(field);
    }
  }
  if (!given || !(await tokensEqual(given, expected))) {
    return "Missing or stale CSRF token: reload the page and try again";
  }
  return null;
}
