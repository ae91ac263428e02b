/**
 * GitHub pull requests (REST v3: github.com at api.github.com, GitHub
 * Enterprise Server at https://HOST/api/v3). Documented contract: list with
 * `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`, create with
 * `POST /repos/{owner}/{repo}/pulls` (422 "A pull request already exists"),
 * update with `PATCH /repos/{owner}/{repo}/pulls/{number}`.
 */
import { forgeRequest, serverMessage, splitRepoPath } from "./http.ts";
import type { ForgeClient, ForgeContext, FoundPullRequest } from "./types.ts";

interface GitHubPull {
  number: number;
  html_url: string;
  body: string | null;
}

/** The GitHub client for `ctx`. */
export function github(ctx: ForgeContext): ForgeClient {
  const { owner, name } = splitRepoPath(ctx.repoPath);
  const base = `${ctx.api}/repos/${encodeURIComponent(owner)}/${
    encodeURIComponent(name)
  }/pulls`;
  const headers = {
    authorization: `Bearer ${ctx.token}`,
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
  };
  const common = { headers, source: ctx.source, signal: ctx.signal };
  const found = (p: GitHubPull): FoundPullRequest => ({
    number: p.number,
    url: p.html_url,
    body: p.body ?? "",
  });
  return {
    async find(spec) {
      const query = new URLSearchParams({
        head: `${owner}:${spec.head}`,
        state: "open",
        per_page: "10",
      });
      const { json } = await forgeRequest({
        ...common,
        method: "GET",
        url: `${base}?${query}`,
        action: `list pull requests of '${ctx.repoPath}'`,
      });
      const first = Array.isArray(json) ? json[0] as GitHubPull : undefined;
      return first ? found(first) : null;
    },
    async create(spec) {
      const { status, json } = await forgeRequest({
        ...common,
        method: "POST",
        url: base,
        body: {
          title: spec.title,
          head: spec.head,
          base: spec.base,
          body: spec.body,
          draft: spec.draft,
        },
        action: `open a pull request from '${spec.head}' into '${spec.base}'`,
      }, [422]);
      if (status === 422) {
        if (/already exists/i.test(serverMessage(json))) return "exists";
        throw new Error(
          `GitHub refused the pull request from '${spec.head}' into '${spec.base}' (HTTP 422): ${
            serverMessage(json) || "validation failed"
          }`,
        );
      }
      return found(json as GitHubPull);
    },
    async update(number, spec) {
      const { json } = await forgeRequest({
        ...common,
        method: "PATCH",
        url: `${base}/${number}`,
        body: { title: spec.title, body: spec.body, base: spec.base },
        action: `update pull request #${number}`,
      });
      return found(json as GitHubPull);
    },
  };
}
