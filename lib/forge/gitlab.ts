/**
 * GitLab merge requests (API v4). Documented contract: list with
 * `GET /projects/:id/merge_requests?source_branch=&state=opened` (`:id` the
 * URL-encoded path), create with `POST /projects/:id/merge_requests`
 * (409 "Another open merge request already exists"), update with
 * `PUT /projects/:id/merge_requests/:iid`. A draft is a `Draft: ` title.
 */
import { forgeRequest, serverMessage } from "./http.ts";
import type { ForgeClient, ForgeContext, FoundPullRequest } from "./types.ts";

interface GitLabMergeRequest {
  iid: number;
  web_url: string;
  description: string | null;
}

/** The GitLab client for `ctx`. */
export function gitlab(ctx: ForgeContext): ForgeClient {
  const base = `${ctx.api}/projects/${
    encodeURIComponent(ctx.repoPath)
  }/merge_requests`;
  const common = {
    headers: { authorization: `Bearer ${ctx.token}` },
    source: ctx.source,
    signal: ctx.signal,
  };
  const found = (mr: GitLabMergeRequest): FoundPullRequest => ({
    number: mr.iid,
    url: mr.web_url,
    body: mr.description ?? "",
  });
  return {
    async find(spec) {
      const query = new URLSearchParams({
        source_branch: spec.head,
        state: "opened",
      });
      const { json } = await forgeRequest({
        ...common,
        method: "GET",
        url: `${base}?${query}`,
        action: `list merge requests of '${ctx.repoPath}'`,
      });
      const first = Array.isArray(json)
        ? json[0] as GitLabMergeRequest
        : undefined;
      return first ? found(first) : null;
    },
    async create(spec) {
      const { status, json } = await forgeRequest({
        ...common,
        method: "POST",
        url: base,
        body: {
          source_branch: spec.head,
          target_branch: spec.base,
          title: spec.draft ? `Draft: ${spec.title}` : spec.title,
          description: spec.body,
        },
        action: `open a merge request from '${spec.head}' into '${spec.base}'`,
      }, [409]);
      if (status === 409) {
        if (/already exists/i.test(serverMessage(json))) return "exists";
        throw new Error(
          `GitLab refused the merge request (HTTP 409): ${serverMessage(json)}`,
        );
      }
      return found(json as GitLabMergeRequest);
    },
    async update(number, spec) {
      const { json } = await forgeRequest({
        ...common,
        method: "PUT",
        url: `${base}/${number}`,
        body: {
          title: spec.title,
          description: spec.body,
          target_branch: spec.base,
        },
        action: `update merge request !${number}`,
      });
      return found(json as GitLabMergeRequest);
    },
  };
}
