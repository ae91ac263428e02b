/**
 * Gitea and Forgejo pull requests (API v1). Documented contract: list with
 * `GET /repos/{owner}/{repo}/pulls?state=open` (paged; it cannot filter by
 * head, so entries are matched on `head.ref`), create with
 * `POST /repos/{owner}/{repo}/pulls` (409 when one exists for the same head
 * and base), update with `PATCH /repos/{owner}/{repo}/pulls/{index}`; auth
 * `Authorization: token …`. A draft is a `WIP: ` title. Answers carry
 * GitHub's pull-request fields.
 */
import { githubIssues, gitHubPullPatch, readGitHubPull } from "./github.ts";
import { draftTitle, jsonArray, ownerAndName } from "./http.ts";
import type {
  Forge,
  ForgeAdapter,
  ForgeContext,
  ForgeIssueAdapter,
} from "./types.ts";

const PAGE = 50;
const MAX_PAGES = 10;

/** The Gitea/Forgejo adapter for `ctx`. */
export function gitea(ctx: ForgeContext): ForgeAdapter {
  return {
    forge: "Gitea",
    noun: "pull request",
    ref: (n) => `#${n}`,
    collection: `${ctx.api}/repos/${ownerAndName(ctx.repoPath)}/pulls`,
    headers: { authorization: `token ${ctx.token}` },
    list: {
      query: (_spec, page) => ({
        state: "open",
        limit: String(PAGE),
        page: String(page),
      }),
      entries: jsonArray,
      paging: { size: PAGE, max: MAX_PAGES },
    },
    read: readGitHubPull,
    create: {
      body: (spec) => ({
        head: spec.head,
        base: spec.base,
        title: draftTitle(spec, "WIP: "),
        body: spec.body,
      }),
      duplicate: { status: 409 },
    },
    update: { method: "PATCH", body: gitHubPullPatch },
  };
}

/** Gitea/Forgejo's issue side: GitHub's paths and fields (`permission` may be `owner`), its own auth header. */
export function giteaIssues(ctx: ForgeContext): ForgeIssueAdapter {
  return {
    ...githubIssues(ctx),
    headers: { authorization: `token ${ctx.token}` },
  };
}

/** Gitea and Forgejo: API at https://HOST/api/v1. */
export const giteaForge: Forge = {
  // Gitea and Forgejo take the token as the password and do not check the name
  // (services/auth/basic.go: a password other than "" or "x-oauth-basic" is
  // looked up as the token, and the user is the token's owner).
  username: "aos",
  defaultApi: (host) => `https://${host}/api/v1`,
  adapter: gitea,
  issues: giteaIssues,
};
