/**
 * The issue side of a forge for triggers: comment on an issue or pull
 * request, ask whether a user may write to the repository, read one file at a
 * ref. Each forge's URLs and fields are its adapter (github.ts, gitlab.ts).
 */
import { type ForgeCredentials, FORGES } from "./forges.ts";
import { ForgeError, forgeRequest } from "./http.ts";
import { forgeContext } from "./context.ts";
import type { ForgeContext, ForgeIssueAdapter, IssueTarget } from "./types.ts";

/** Longest comment AOS posts (GitHub's limit is 65,536 characters). */
const MAX_COMMENT = 60_000;

/** Largest `.aos/work_order.yml` read. */
export const MAX_DEFAULTS_BYTES = 64 * 1024;

function issueApi(
  repo: string,
  credentials: ForgeCredentials,
  action: string,
  signal?: AbortSignal,
): { api: ForgeIssueAdapter; ctx: ForgeContext } {
  const { credential, ctx } = forgeContext(repo, credentials, action, signal);
  const make = FORGES[credential.kind].issues;
  if (!make) {
    throw new ForgeError(
      `Cannot ${action}: forge kind '${credential.kind}' has no trigger support`,
      null,
    );
  }
  return { api: make(ctx), ctx };
}

/** Posts `text` as a comment on `target` of `repo`; returns the comment's id when the forge says. */
export async function postComment(opts: {
  repo: string;
  credentials: ForgeCredentials;
  target: IssueTarget;
  text: string;
  signal?: AbortSignal;
}): Promise<void> {
  const action = `comment on ${
    opts.target.pullRequest ? "pull request" : "issue"
  } ${opts.target.number}`;
  const { api, ctx } = issueApi(
    opts.repo,
    opts.credentials,
    action,
    opts.signal,
  );
  const text = opts.text.length > MAX_COMMENT
    ? `${opts.text.slice(0, MAX_COMMENT)}…`
    : opts.text;
  await forgeRequest({
    method: "POST",
    url: api.commentUrl(opts.target),
    headers: api.headers,
    body: api.commentBody(text),
    action: `${action} of '${ctx.repoPath}'`,
    source: ctx.source,
    signal: opts.signal,
  });
}

/** Whether `user` may write to `repo`, asked from the forge (404: not a member, so no). */
export async function userCanWrite(opts: {
  repo: string;
  credentials: ForgeCredentials;
  user: { login: string; id: number | null };
  signal?: AbortSignal;
}): Promise<boolean> {
  const action = `ask the access of '${opts.user.login}'`;
  const { api, ctx } = issueApi(
    opts.repo,
    opts.credentials,
    action,
    opts.signal,
  );
  const url = api.permissionUrl(opts.user);
  if (url === null) return false;
  const { status, json } = await forgeRequest({
    method: "GET",
    url,
    headers: api.headers,
    action: `${action} to '${ctx.repoPath}'`,
    source: ctx.source,
    signal: opts.signal,
  }, [404]);
  return status !== 404 && api.canWrite(json);
}

/** The text of `path` at `ref` of `repo`, or null when there is no such file. */
export async function readRepoFile(opts: {
  repo: string;
  credentials: ForgeCredentials;
  path: string;
  ref: string;
  signal?: AbortSignal;
}): Promise<string | null> {
  const action = `read '${opts.path}' at '${opts.ref}'`;
  const { api, ctx } = issueApi(
    opts.repo,
    opts.credentials,
    action,
    opts.signal,
  );
  const { status, json } = await forgeRequest({
    method: "GET",
    url: api.fileUrl(opts.path, opts.ref),
    headers: api.headers,
    action: `${action} of '${ctx.repoPath}'`,
    source: ctx.source,
    signal: opts.signal,
  }, [404]);
  if (status === 404) return null;
  const file = json as { content?: unknown; encoding?: unknown } | null;
  if (typeof file?.content !== "string" || file.encoding !== "base64") {
    throw new ForgeError(
      `Forge API at '${
        new URL(ctx.api).host
      }' answered '${opts.path}' without base64 content`,
      status,
    );
  }
  const b64 = file.content.replace(/\s+/g, "");
  if (b64.length > (MAX_DEFAULTS_BYTES * 4) / 3 + 4) {
    throw new ForgeError(
      `'${opts.path}' is larger than ${MAX_DEFAULTS_BYTES} bytes`,
      status,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new ForgeError(`'${opts.path}' is not valid base64`, status);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ForgeError(`'${opts.path}' is not UTF-8 text`, status);
  }
}
