/**
 * GitHub pull requests (REST v3: github.com at api.github.com, GitHub
 * Enterprise Server at https://HOST/api/v3). Documented contract: list with
 * `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`, create with
 * `POST /repos/{owner}/{repo}/pulls` (422 "A pull request already exists"),
 * update with `PATCH /repos/{owner}/{repo}/pulls/{number}`.
 */
import { jsonArray, ownerAndName, splitRepoPath } from "./http.ts";
import type {
  Forge,
  ForgeAdapter,
  ForgeContext,
  ForgeIssueAdapter,
  FoundPullRequest,
  PullRequestSpec,
  RequestBody,
} from "./types.ts";

interface GitHubPull {
  number: number;
  html_url: string;
  body: string | null;
  head?: { ref?: string };
}

/** Reads a GitHub-shaped pull request (Gitea's API answers the same fields). */
export function readGitHubPull(json: unknown): FoundPullRequest {
  const p = json as GitHubPull;
  return {
    number: p.number,
    url: p.html_url,
    body: p.body ?? "",
    head: p.head?.ref ?? "",
  };
}

/** The fields a GitHub-shaped `PATCH …/pulls/{n}` sets. */
export function gitHubPullPatch(spec: PullRequestSpec): RequestBody {
  return { title: spec.title, body: spec.body, base: spec.base };
}

/** The headers of every GitHub API call. */
function githubHeaders(ctx: ForgeContext): Record<string, string> {
  return {
    authorization: `Bearer ${ctx.token}`,
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
  };
}

/** The GitHub adapter for `ctx`. */
export function github(ctx: ForgeContext): ForgeAdapter {
  const { owner } = splitRepoPath(ctx.repoPath);
  return {
    forge: "GitHub",
    noun: "pull request",
    ref: (n) => `#${n}`,
    collection: `${ctx.api}/repos/${ownerAndName(ctx.repoPath)}/pulls`,
    headers: githubHeaders(ctx),
    list: {
      query: (spec) => ({
        head: `${owner}:${spec.head}`,
        state: "open",
        per_page: "10",
      }),
      entries: jsonArray,
    },
    read: readGitHubPull,
    create: {
      body: (spec) => ({
        title: spec.title,
        head: spec.head,
        base: spec.base,
        body: spec.body,
        draft: spec.draft,
      }),
      // 422 is any validation failure; the message tells the duplicate.
      duplicate: { status: 422, message: /already exists/i },
    },
    update: { method: "PATCH", body: gitHubPullPatch },
  };
}

/** GitHub's access levels that may push (`maintain` reads as `write` in `permission`). */
const WRITE = new Set(["admin", "maintain", "write"]);

/**
 * GitHub's issue side: `POST /repos/{o}/{r}/issues/{n}/comments` (pull
 * requests too), `GET …/collaborators/{user}/permission` (`permission`:
 * admin, write, read or none), `GET …/contents/{path}?ref=` (base64).
 * Gitea/Forgejo answer the same paths and fields (`owner` too).
 */
export function githubIssues(ctx: ForgeContext): ForgeIssueAdapter {
  const repo = `${ctx.api}/repos/${ownerAndName(ctx.repoPath)}`;
  return {
    headers: githubHeaders(ctx),
    commentUrl: (target) => `${repo}/issues/${target.number}/comments`,
    commentBody: (text) => ({ body: text }),
    permissionUrl: (user) =>
      `${repo}/collaborators/${encodeURIComponent(user.login)}/permission`,
    canWrite: (json) => {
      const p = (json as { permission?: unknown } | null)?.permission;
      return typeof p === "string" && (WRITE.has(p) || p === "owner");
    },
    fileUrl: (path, ref) =>
      `${repo}/contents/${
        path.split("/").map(encodeURIComponent).join("/")
      }?ref=${encodeURIComponent(ref)}`,
  };
}

/** GitHub: github.com (API at api.github.com), GHE.com tenants and GitHub Enterprise Server. */
export const githubForge: Forge = {
  username: "x-access-token",
  defaultApi(host) {
    const name = host.replace(/:\d+$/, "");
    if (name === "github.com") return "https://api.github.com";
    // GitHub Enterprise Cloud with data residency: api.<tenant>.ghe.com.
    if (name.endsWith(".ghe.com")) return `https://api.${name}`;
    return `https://${host}/api/v3`;
  },
  knownHosts: /^(?:github\.com|[a-z0-9-]+\.ghe\.com)$/,
  adapter: github,
  issues: githubIssues,
};
