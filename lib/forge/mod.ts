/**
 * forge: pull requests on GitHub (github.com, GHES), GitLab, Gitea/Forgejo
 * and Bitbucket Cloud, through the API named by the repository host's
 * credential (AOS_GIT_CREDENTIALS). Idempotent: the open pull request for the
 * head branch is looked up first, so a run (or its redelivered step) opens at
 * most one and a re-run of the branch updates it.
 */
import { openOrUpdate, type PullRequestOutcome } from "./flow.ts";
import { type ForgeCredentials, FORGES } from "./forges.ts";
import { forgeContext } from "./context.ts";
import type { PullRequestSpec } from "./types.ts";

export { pullRequestBody, pullRequestTitle, runMarker } from "./body.ts";
export { pullRequestProblem, repoPathOf } from "./context.ts";
export {
  FORGE_KINDS,
  type ForgeKind,
  FORGES,
  knownForgeKind,
} from "./forges.ts";
export { ForgeError } from "./http.ts";
export { postComment, readRepoFile, userCanWrite } from "./issues.ts";

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
  const { credential, ctx } = forgeContext(
    opts.repo,
    opts.credentials,
    "open a pull request",
    opts.signal,
  );
  return await openOrUpdate(
    FORGES[credential.kind].adapter(ctx),
    ctx,
    opts.spec,
    opts.marker,
  );
}
