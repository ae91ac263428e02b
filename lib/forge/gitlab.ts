/**
 * GitLab merge requests (API v4). Documented contract: list with
 * `GET /projects/:id/merge_requests?source_branch=&state=opened` (`:id` the
 * URL-encoded path), create with `POST /projects/:id/merge_requests`
 * (409 "Another open merge request already exists"), update with
 * `PUT /projects/:id/merge_requests/:iid`. A draft is a `Draft: ` title.
 */
import { draftTitle, jsonArray } from "./http.ts";
import type {
  Forge,
  ForgeAdapter,
  ForgeContext,
  ForgeIssueAdapter,
} from "./types.ts";

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

/** GitLab's Developer role: the lowest access level that may push. */
const DEVELOPER = 30;

/**
 * GitLab's issue side: `POST /projects/:id/issues/:iid/notes` or
 * `…/merge_requests/:iid/notes`, `GET /projects/:id/members/all/:user_id`
 * (`access_level`, inherited members included; 404 for none),
 * `GET /projects/:id/repository/files/:path?ref=` (base64).
 */
export function gitlabIssues(ctx: ForgeContext): ForgeIssueAdapter {
  const project = `${ctx.api}/projects/${encodeURIComponent(ctx.repoPath)}`;
  return {
    headers: { authorization: `Bearer ${ctx.token}` },
    commentUrl: (target) =>
      `${project}/${
        target.pullRequest ? "merge_requests" : "issues"
      }/${target.number}/notes`,
    commentBody: (text) => ({ body: text }),
    permissionUrl: (user) =>
      user.id === null ? null : `${project}/members/all/${user.id}`,
    canWrite: (json) => {
      const level = (json as { access_level?: unknown } | null)?.access_level;
      return typeof level === "number" && level >= DEVELOPER;
    },
    fileUrl: (path, ref) =>
      `${project}/repository/files/${encodeURIComponent(path)}?ref=${
        encodeURIComponent(ref)
      }`,
  };
}

/** GitLab (gitlab.com or self-managed): API at https://HOST/api/v4. */
export const gitlabForge: Forge = {
  username: "oauth2",
  defaultApi: (host) => `https://${host}/api/v4`,
  adapter: gitlab,
  issues: gitlabIssues,
};
