/**
 * forge: pull requests on GitHub (github.com, GHES), GitLab, Gitea/Forgejo
 * and Bitbucket Cloud, through the API named by the repository host's
 * credential (AOS_GIT_CREDENTIALS). Idempotent: the open pull request for the
 * head branch is looked up first, so a run (or its redelivered step) opens at
 * most one and a re-run of the branch updates it.
 */
import { openOrUpdate, type PullRequestOutcome } from "./flow.ts";
import { type ForgeCredentials, FORGES } from "./forges.ts";
import { ForgeError } from "./http.ts";
import type { ForgeContext, PullRequestSpec } from "./types.ts";

export * from "./body.ts";
export type { PullRequestOutcome } from "./flow.ts";
export { ForgeError } from "./http.ts";
export type * from "./types.ts";
export * from "./forges.ts";

/** `owner/name` of an http(s) repository URL (path without `.git`), or null. */
export function repoPathOf(
  repo: string,
): { host: string; path: string } | null {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const path = url.pathname.replace(/^\/+|\/+$/g, "").replace(/\.git$/, "");
  if (!path.includes("/")) return null;
  return { host: url.host, path };
}

/**
 * Why no pull request can be opened for `repo` with `credentials`, or null:
 * checked at submit (HTTP 422) and again before the API is called.
 */
export function pullRequestProblem(
  repo: string,
  credentials: ForgeCredentials,
): string | null {
  const where = repoPathOf(repo);
  if (!where) {
    return `'${repo}' is not an https repository URL of the form https://HOST/OWNER/NAME, which pull requests need`;
  }
  if (!credentials.forUrl(repo)) {
    return `no credential is configured for host '${where.host}' (add "${where.host}" with its token and kind to AOS_GIT_CREDENTIALS${
      where.host === "github.com" ? ", or set GITHUB_TOKEN" : ""
    })`;
  }
  return null;
}

/**
 * Opens the pull request for `spec.head` into `spec.base` of `repo`, or updates
 * the open one. `marker` (in the body) tells this run's own pull request from
 * one an earlier run opened.
 */
export async function openOrUpdatePullRequest(opts: {
  repo: string;
  credentials: ForgeCredentials;
  spec: PullRequestSpec;
  marker: string;
  signal?: AbortSignal;
}): Promise<PullRequestOutcome> {
  const problem = pullRequestProblem(opts.repo, opts.credentials);
  if (problem) {
    throw new ForgeError(`Cannot open a pull request: ${problem}`, null);
  }
  const where = repoPathOf(opts.repo)!;
  const credential = opts.credentials.forUrl(opts.repo)!;
  const api = new URL(credential.api);
  if (api.protocol === "http:" && !credential.insecureHttp) {
    throw new ForgeError(
      `Refusing to send the credential from ${credential.source} to '${api.host}' over plain http`,
      null,
    );
  }
  const ctx: ForgeContext = {
    api: credential.api,
    token: credential.token,
    username: credential.username,
    source: credential.source,
    repoPath: where.path,
    signal: opts.signal,
  };
  return await openOrUpdate(
    FORGES[credential.kind].adapter(ctx),
    ctx,
    opts.spec,
    opts.marker,
  );
}
