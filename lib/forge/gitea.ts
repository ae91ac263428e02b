/**
 * Gitea and Forgejo pull requests (API v1). Documented contract: list with
 * `GET /repos/{owner}/{repo}/pulls?state=open` (paged; matched on `head.ref`
 * here), create with `POST /repos/{owner}/{repo}/pulls` (409 when one exists
 * for the same head and base), update with
 * `PATCH /repos/{owner}/{repo}/pulls/{index}`; auth `Authorization: token …`.
 * A draft is a `WIP: ` title.
 */
import { forgeRequest, splitRepoPath } from "./http.ts";
import type { ForgeClient, ForgeContext, FoundPullRequest } from "./types.ts";

interface GiteaPull {
  number: number;
  html_url: string;
  body: string | null;
  head?: { ref?: string };
}

const PAGE = 50;
const MAX_PAGES = 10;

/** The Gitea/Forgejo client for `ctx`. */
export function gitea(ctx: ForgeContext): ForgeClient {
  const { owner, name } = splitRepoPath(ctx.repoPath);
  const base = `${ctx.api}/repos/${encodeURIComponent(owner)}/${
    encodeURIComponent(name)
  }/pulls`;
  const common = {
    headers: { authorization: `token ${ctx.token}` },
    source: ctx.source,
    signal: ctx.signal,
  };
  const found = (p: GiteaPull): FoundPullRequest => ({
    number: p.number,
    url: p.html_url,
    body: p.body ?? "",
  });
  return {
    async find(spec) {
      for (let page = 1; page <= MAX_PAGES; page++) {
        const query = new URLSearchParams({
          state: "open",
          limit: String(PAGE),
          page: String(page),
        });
        const { json } = await forgeRequest({
          ...common,
          method: "GET",
          url: `${base}?${query}`,
          action: `list pull requests of '${ctx.repoPath}'`,
        });
        const pulls = Array.isArray(json) ? json as GiteaPull[] : [];
        const match = pulls.find((p) => p.head?.ref === spec.head);
        if (match) return found(match);
        if (pulls.length < PAGE) break;
      }
      return null;
    },
    async create(spec) {
      const { status, json } = await forgeRequest({
        ...common,
        method: "POST",
        url: base,
        body: {
          head: spec.head,
          base: spec.base,
          title: spec.draft ? `WIP: ${spec.title}` : spec.title,
          body: spec.body,
        },
        action: `open a pull request from '${spec.head}' into '${spec.base}'`,
      }, [409]);
      if (status === 409) return "exists";
      return found(json as GiteaPull);
    },
    async update(number, spec) {
      const { json } = await forgeRequest({
        ...common,
        method: "PATCH",
        url: `${base}/${number}`,
        body: { title: spec.title, body: spec.body, base: spec.base },
        action: `update pull request #${number}`,
      });
      return found(json as GiteaPull);
    },
  };
}
