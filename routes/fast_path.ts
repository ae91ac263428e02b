/**
 * The request clients poll most — `GET /runs/{id}` with no query — answered
 * from the store's in-memory view before the request reaches Hono: a match on
 * the URL string and a prebuilt JSON body. Only a cache hit is answered here;
 * everything else (a miss, a strong read, a bad query, an encoded id, a
 * rejected token, a wrong Host or a cross-site request, errors) goes through
 * the app and its documented route, so there is one place that decides what
 * the API says.
 */
import type { RunStore } from "../lib/store/mod.ts";
import { bearerMatches } from "./middleware/auth.ts";
import {
  type RequestPolicy,
  requestRefusal,
} from "./middleware/request_guard.ts";

type Fetch = (req: Request) => Response | Promise<Response>;

const PREFIX = "/runs/";
const INIT: ResponseInit = {
  status: 200,
  headers: { "content-type": "application/json" },
};

/** What the fast path answers from, and the rules it must keep. */
export interface FastRunReadsOptions {
  store: RunStore;
  /** AOS_API_TOKEN: with one, only a request bearing it is answered here. */
  apiToken: string | null;
  /** The app's Host and cross-site rules: a request they refuse goes to the app. */
  policy: RequestPolicy;
}

/** Wraps the app's fetch with the fast path for cached `GET /runs/{id}`. */
export function withFastRunReads(
  fetch: Fetch,
  opts: FastRunReadsOptions,
): Fetch {
  const { store, apiToken, policy } = opts;
  return (req) => {
    if (req.method !== "GET") return fetch(req);
    const id = plainRunId(req.url);
    const view = id === null ? undefined : store.cachedRun(id);
    if (!view || requestRefusal(req, policy) !== null) return fetch(req);
    if (apiToken === null) return new Response(view.json, INIT);
    return bearerMatches(req.headers.get("authorization"), apiToken).then((
      ok,
    ) => ok ? new Response(view.json, INIT) : fetch(req));
  };
}

/** The id of a `/runs/{id}` URL without query, fragment or escapes, else null. */
export function plainRunId(url: string): string | null {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1 || !url.startsWith(PREFIX, start)) return null;
  const id = url.slice(start + PREFIX.length);
  return id !== "" && !/[/?#%]/.test(id) ? id : null;
}
