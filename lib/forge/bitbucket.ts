/**
 * Bitbucket Cloud pull requests (API 2.0). Documented contract: list with
 * `GET /repositories/{workspace}/{repo}/pullrequests?q=source.branch.name="…" AND state="OPEN"`,
 * create with `POST …/pullrequests` (`source.branch.name`,
 * `destination.branch.name`, `draft`), update with `PUT …/pullrequests/{id}`.
 * Access tokens go as `Bearer`; with a `username` (app passwords) as Basic.
 */
import { forgeRequest, serverMessage, splitRepoPath } from "./http.ts";
import type { ForgeClient, ForgeContext, FoundPullRequest } from "./types.ts";

interface BitbucketPull {
  id: number;
  description?: string | null;
  links?: { html?: { href?: string } };
}

/** The Bitbucket Cloud client for `ctx`. */
export function bitbucket(ctx: ForgeContext): ForgeClient {
  const { owner, name } = splitRepoPath(ctx.repoPath);
  const base = `${ctx.api}/repositories/${encodeURIComponent(owner)}/${
    encodeURIComponent(name)
  }/pullrequests`;
  const authorization = ctx.username === "x-token-auth"
    ? `Bearer ${ctx.token}`
    : `Basic ${btoa(`${ctx.username}:${ctx.token}`)}`;
  const common = {
    headers: { authorization },
    source: ctx.source,
    signal: ctx.signal,
  };
  const found = (p: BitbucketPull): FoundPullRequest => ({
    number: p.id,
    url: p.links?.html?.href ?? `${base}/${p.id}`,
    body: p.description ?? "",
  });
  return {
    async find(spec) {
      const q = `source.branch.name="${
        spec.head.replace(/["\\]/g, "")
      }" AND state="OPEN"`;
      const { json } = await forgeRequest({
        ...common,
        method: "GET",
        url: `${base}?${new URLSearchParams({ q })}`,
        action: `list pull requests of '${ctx.repoPath}'`,
      });
      const values = (json as { values?: BitbucketPull[] } | null)?.values;
      const first = Array.isArray(values) ? values[0] : undefined;
      return first ? found(first) : null;
    },
    async create(spec) {
      const { status, json } = await forgeRequest({
        ...common,
        method: "POST",
        url: base,
        body: {
          title: spec.title,
          description: spec.body,
          source: { branch: { name: spec.head } },
          destination: { branch: { name: spec.base } },
          draft: spec.draft,
        },
        action: `open a pull request from '${spec.head}' into '${spec.base}'`,
      }, [400, 409]);
      if (status === 400 || status === 409) {
        if (/already|exists|open pull request/i.test(serverMessage(json))) {
          return "exists";
        }
        throw new Error(
          `Bitbucket refused the pull request (HTTP ${status}): ${
            serverMessage(json)
          }`,
        );
      }
      return found(json as BitbucketPull);
    },
    async update(number, spec) {
      const { json } = await forgeRequest({
        ...common,
        method: "PUT",
        url: `${base}/${number}`,
        body: {
          title: spec.title,
          description: spec.body,
          destination: { branch: { name: spec.base } },
        },
        action: `update pull request #${number}`,
      });
      return found(json as BitbucketPull);
    },
  };
}
