/**
 * Bitbucket Cloud pull requests (API 2.0). Documented contract: list with
 * `GET /repositories/{workspace}/{repo}/pullrequests?q=source.branch.name="…" AND state="OPEN"`,
 * create with `POST …/pullrequests` (`source.branch.name`,
 * `destination.branch.name`, `draft`; answers 201, or 400 for an invalid
 * document), update with `PUT …/pullrequests/{id}`. Access tokens go as
 * `Bearer`; with a `username` (app passwords) as Basic.
 *
 * Bitbucket does not refuse a second pull request from the same branch: a
 * create for a source and destination that already have an open one updates
 * that one and answers it (atlassian-python-api's Cloud client warns of this),
 * so a create that raced another lands on the same pull request.
 */
import { ownerAndName } from "./http.ts";
import type { Forge, ForgeAdapter, ForgeContext } from "./types.ts";

interface BitbucketPull {
  id: number;
  description?: string | null;
  source?: { branch?: { name?: string } };
  links?: { html?: { href?: string } };
}

/** The Bitbucket Cloud adapter for `ctx`. */
export function bitbucket(ctx: ForgeContext): ForgeAdapter {
  const collection = `${ctx.api}/repositories/${
    ownerAndName(ctx.repoPath)
  }/pullrequests`;
  return {
    forge: "Bitbucket",
    noun: "pull request",
    ref: (n) => `#${n}`,
    collection,
    headers: {
      authorization: ctx.username === "x-token-auth"
        ? `Bearer ${ctx.token}`
        : `Basic ${btoa(`${ctx.username}:${ctx.token}`)}`,
    },
    list: {
      query: (spec) => ({
        q: `source.branch.name="${
          spec.head.replace(/["\\]/g, "")
        }" AND state="OPEN"`,
      }),
      entries: (json) => {
        const values = (json as { values?: unknown } | null)?.values;
        return Array.isArray(values) ? values : [];
      },
    },
    read: (json) => {
      const p = json as BitbucketPull;
      return {
        number: p.id,
        url: p.links?.html?.href ?? `${collection}/${p.id}`,
        body: p.description ?? "",
        head: p.source?.branch?.name ?? "",
      };
    },
    create: {
      body: (spec) => ({
        title: spec.title,
        description: spec.body,
        source: { branch: { name: spec.head } },
        destination: { branch: { name: spec.base } },
        draft: spec.draft,
      }),
    },
    update: {
      method: "PUT",
      body: (spec) => ({
        title: spec.title,
        description: spec.body,
        destination: { branch: { name: spec.base } },
      }),
    },
  };
}

/** Bitbucket Cloud: API at api.bitbucket.org whatever the host. */
export const bitbucketForge: Forge = {
  username: "x-token-auth",
  defaultApi: () => "https://api.bitbucket.org/2.0",
  adapter: bitbucket,
};
