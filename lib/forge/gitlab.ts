/**
 * GitLab merge requests (API v4). Documented contract: list with
 * `GET /projects/:id/merge_requests?source_branch=&state=opened` (`:id` the
 * URL-encoded path), create with `POST /projects/:id/merge_requests`
 * (409 "Another open merge request already exists"), update with
 * `PUT /projects/:id/merge_requests/:iid`. A draft is a `Draft: ` title.
 */
import { draftTitle, jsonArray } from "./http.ts";
import type { Forge, ForgeAdapter, ForgeContext } from "./types.ts";

interface GitLabMergeRequest {
  iid: number;
  web_url: string;
  description: string | null;
  source_branch?: string;
}

/** The GitLab adapter for `ctx`. */
export function gitlab(ctx: ForgeContext): ForgeAdapter {
  return {
    forge: "GitLab",
    noun: "merge request",
    ref: (n) => `!${n}`,
    collection: `${ctx.api}/projects/${
      encodeURIComponent(ctx.repoPath)
    }/merge_requests`,
    headers: { authorization: `Bearer ${ctx.token}` },
    list: {
      query: (spec) => ({ source_branch: spec.head, state: "opened" }),
      entries: jsonArray,
    },
    read: (json) => {
      const mr = json as GitLabMergeRequest;
      return {
        number: mr.iid,
        url: mr.web_url,
        body: mr.description ?? "",
        head: mr.source_branch ?? "",
      };
    },
    create: {
      body: (spec) => ({
        source_branch: spec.head,
        target_branch: spec.base,
        title: draftTitle(spec, "Draft: "),
        description: spec.body,
      }),
      duplicate: { status: 409, message: /already exists/i },
    },
    update: {
      method: "PUT",
      body: (spec) => ({
        title: spec.title,
        description: spec.body,
        target_branch: spec.base,
      }),
    },
  };
}

/** GitLab (gitlab.com or self-managed): API at https://HOST/api/v4. */
export const gitlabForge: Forge = {
  username: "oauth2",
  defaultApi: (host) => `https://${host}/api/v4`,
  adapter: gitlab,
};
