/** JSON requests to a forge API with errors that say what failed, never the token. */

/** A forge API call failed; the message names the API host, the action and the status. */
export class ForgeError extends Error {
  override name = "ForgeError";
  /** HTTP status, or null when there was no answer. */
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.status = status;
  }
}

/** How long one API call may take. */
const TIMEOUT_MS = 30_000;

/** One API call. */
export interface ForgeRequest {
  method: "GET" | "POST" | "PATCH" | "PUT";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** What is being done, for messages: `list pull requests of 'o/r'`. */
  action: string;
  /** Where the token came from, for messages: `AOS_GIT_CREDENTIALS["h"]`. */
  source: string;
  signal?: AbortSignal | undefined;
}

/** An answer with its status and parsed JSON body (null when empty or not JSON). */
export interface ForgeResponse {
  status: number;
  json: unknown;
}

/**
 * Sends `req`; 2xx answers and the statuses in `accept` are returned, anything
 * else throws a ForgeError. Redirects are not followed (the token would go along).
 */
export async function forgeRequest(
  req: ForgeRequest,
  accept: readonly number[] = [],
): Promise<ForgeResponse> {
  const host = new URL(req.url).host;
  let response: Response;
  try {
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    response = await fetch(req.url, {
      method: req.method,
      redirect: "manual",
      signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
      headers: {
        accept: "application/json",
        "user-agent": "AOS",
        ...(req.body === undefined
          ? {}
          : { "content-type": "application/json" }),
        ...req.headers,
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    });
  } catch (error) {
    req.signal?.throwIfAborted();
    throw new ForgeError(
      `Forge API at '${host}' is unreachable, could not ${req.action}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      null,
    );
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch { /* not JSON */ }
  const status = response.status;
  if ((status >= 200 && status < 300) || accept.includes(status)) {
    return { status, json };
  }
  const said = serverMessage(json);
  const why = status === 401
    ? `the credential from ${req.source} was rejected`
    : status === 403
    ? `the credential from ${req.source} is not allowed to (it needs pull-request write access)`
    : status === 404
    ? `not found (wrong repository path or API base, or the credential from ${req.source} cannot see it)`
    : status >= 300 && status < 400
    ? "the API answered a redirect, which is not followed (check the api URL in AOS_GIT_CREDENTIALS)"
    : "unexpected answer";
  throw new ForgeError(
    `Forge API at '${host}' answered HTTP ${status}, could not ${req.action}: ${why}${
      said ? ` (server said: ${said})` : ""
    }`,
    status,
  );
}

/** The human message in a forge's error body (`message`, `error`, `errors[].message`), shortened. */
export function serverMessage(json: unknown): string {
  if (json === null || typeof json !== "object") return "";
  const o = json as Record<string, unknown>;
  const parts: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string") parts.push(v);
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === "object") {
      const inner = v as Record<string, unknown>;
      add(inner.message ?? inner.error);
    }
  };
  add(o.message);
  add(o.error);
  add(o.errors);
  return parts.join("; ").slice(0, 300);
}

/** Owner and name of a repository path `owner/name` (`group/sub/name` for GitLab). */
export function splitRepoPath(path: string): { owner: string; name: string } {
  const i = path.lastIndexOf("/");
  return { owner: path.slice(0, i), name: path.slice(i + 1) };
}

/** `OWNER/NAME` with each part URL-encoded, for `/repos/{owner}/{repo}`-style paths. */
export function ownerAndName(path: string): string {
  const { owner, name } = splitRepoPath(path);
  return `${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

/** The entries of a JSON array answer ([] for anything else). */
export function jsonArray(json: unknown): unknown[] {
  return Array.isArray(json) ? json : [];
}

/** The title of `spec`, marked with `prefix` when a draft (forges without a draft flag read it from the title). */
export function draftTitle(
  spec: { title: string; draft: boolean },
  prefix: string,
): string {
  return spec.draft ? `${prefix}${spec.title}` : spec.title;
}
