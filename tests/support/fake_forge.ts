/**
 * Stand-ins for the forge APIs, as HTTP servers on loopback following each
 * documented contract (paths, auth headers, status codes, the "already exists"
 * answer), keeping pull requests in memory and recording every request.
 *
 * - GitHub REST (GHES layout under /api/v3): `GET/POST /repos/{o}/{r}/pulls`,
 *   `PATCH /repos/{o}/{r}/pulls/{n}`; `Authorization: Bearer`; 422 "A pull request already exists for o:branch."
 * - GitLab v4: `GET/POST /projects/{url-encoded path}/merge_requests`, `PUT …/{iid}`;
 *   `Authorization: Bearer` or `PRIVATE-TOKEN`; 409 "Another open merge request already exists for this source branch: !N"
 * - Gitea/Forgejo v1: `GET/POST /repos/{o}/{r}/pulls` (paged `limit`/`page`),
 *   `PATCH …/{n}` (answers 201); `Authorization: token`; 409 "pull request already exists for these targets"
 * - Bitbucket 2.0: `GET/POST /repositories/{ws}/{slug}/pullrequests` (`q=` filter), `PUT …/{id}`;
 *   `Authorization: Bearer`, or Basic `username:app-password`; no "already exists" refusal: a
 *   create for a source and destination with an open pull request updates that one and answers
 *   it (201, the only success the spec lists; the status of this case is not documented)
 *
 * The issue side triggers use (fake_forge_issues.ts): comments, a user's
 * access, a file at a ref — GitHub and Gitea `POST /repos/{o}/{r}/issues/{n}/comments`,
 * `GET …/collaborators/{user}/permission`, `GET …/contents/{path}?ref=`; GitLab
 * `POST /projects/{id}/(issues|merge_requests)/{iid}/notes`, `GET …/members/all/{user_id}`,
 * `GET …/repository/files/{path}?ref=`.
 */
import { GitCredentials, readGitCredentials } from "../../lib/git/mod.ts";
import type { ForgeKind } from "../../lib/forge/mod.ts";
import {
  type ForgeComment,
  type IssueSide,
  issueSideAnswer,
} from "./fake_forge_issues.ts";

export type { ForgeComment, IssueSide } from "./fake_forge_issues.ts";

/** One request the fake received. */
export interface ForgeCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** `Bearer`, `token`, `PRIVATE-TOKEN`, `Basic` or null: the auth header kind. */
  auth: string | null;
  body: Record<string, unknown> | null;
}

interface Pull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  open: boolean;
}

/** A running fake forge. */
export interface FakeForge {
  /** The API base URL to configure as `api`. */
  api: string;
  calls: ForgeCall[];
  pulls: Pull[];
  /** How many of the next list answers are empty although pull requests exist (a lagging index). */
  hiddenLists: number;
  /** Comments posted on issues and pull requests. */
  comments: ForgeComment[];
  /** Access per user (login, or GitLab user id as a string): `write`, `read`…, or a GitLab access level. */
  permissions: Map<string, string | number>;
  close(): Promise<void>;
}

const BASES: Record<ForgeKind, string> = {
  github: "/api/v3",
  gitlab: "/api/v4",
  gitea: "/api/v1",
  bitbucket: "/2.0",
};

/** Starts a fake `kind` API that accepts only `token`; `readFile` answers the contents API. */
export function startFakeForge(
  kind: ForgeKind,
  token: string,
  opts: { readFile?: IssueSide["readFile"] } = {},
): FakeForge {
  const comments: ForgeComment[] = [];
  const permissions = new Map<string, string | number>();
  const calls: ForgeCall[] = [];
  const pulls: Pull[] = [];
  // Every forge numbers a new pull request after the last one, open.
  const openPull = (fields: Omit<Pull, "number" | "open">): Pull => {
    const pull = { number: pulls.length + 1, ...fields, open: true };
    pulls.push(pull);
    return pull;
  };
  const state = { hiddenLists: 0 };
  const json = (status: number, value: unknown) =>
    new Response(JSON.stringify(value), {
      status,
      headers: { "content-type": "application/json" },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const text = await req.text();
      const header = req.headers.get("authorization");
      const privateToken = req.headers.get("private-token");
      const [scheme = null, value = null] = header?.split(" ") ?? [];
      // Basic carries `user:secret`; only Bitbucket (app passwords) takes it here.
      const basicSecret = scheme === "Basic" && value
        ? atob(value).split(":").slice(1).join(":")
        : null;
      calls.push({
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        auth: privateToken !== null ? "PRIVATE-TOKEN" : scheme,
        body: text ? JSON.parse(text) : null,
      });
      const given = privateToken ?? basicSecret ?? value;
      const schemes = kind === "gitea"
        ? ["token"]
        : kind === "bitbucket"
        ? ["Bearer", "Basic"]
        : ["Bearer"];
      if (
        given !== token ||
        (privateToken === null && !schemes.includes(scheme ?? ""))
      ) {
        return json(401, {
          message: kind === "github" ? "Bad credentials" : "401 Unauthorized",
        });
      }
      const origin = `https://${kind}.example`;
      const body = text ? JSON.parse(text) as Record<string, unknown> : {};
      const base = BASES[kind];
      const path = url.pathname.slice(base.length);
      const side = await issueSideAnswer(kind, req.method, path, url, body, {
        comments,
        permissions,
        origin,
        readFile: opts.readFile ?? (() => Promise.resolve(null)),
      });
      if (side) return side;
      const listHidden = () => {
        if (state.hiddenLists === 0) return false;
        state.hiddenLists--;
        return true;
      };
      if (kind === "github" || kind === "gitea") {
        const m = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(path);
        if (!m) return json(404, { message: "Not Found" });
        const [, owner, repo, n] = m;
        const view = (p: Pull) => ({
          number: p.number,
          html_url: `${origin}/${owner}/${repo}/pull${
            kind === "gitea" ? "s" : ""
          }/${p.number}`,
          title: p.title,
          body: p.body,
          draft: p.draft,
          state: p.open ? "open" : "closed",
          head: { ref: p.head },
          base: { ref: p.base },
        });
        if (req.method === "GET" && !n) {
          let open = pulls.filter((p) => p.open);
          if (listHidden()) open = [];
          if (kind === "github") {
            const head = url.searchParams.get("head");
            if (head) open = open.filter((p) => `${owner}:${p.head}` === head);
            return json(200, open.map(view));
          }
          const limit = Number(url.searchParams.get("limit") ?? 30);
          const page = Number(url.searchParams.get("page") ?? 1);
          return json(
            200,
            open.slice((page - 1) * limit, page * limit).map(view),
          );
        }
        if (req.method === "POST" && !n) {
          const { head, base: into, title } = body as Record<string, string>;
          if (!head || !into || !title) {
            return json(422, { message: "Validation Failed" });
          }
          const dup = pulls.find((p) =>
            p.open && p.head === head && p.base === into
          );
          if (dup) {
            return kind === "github"
              ? json(422, {
                message: "Validation Failed",
                errors: [{
                  resource: "PullRequest",
                  code: "custom",
                  message:
                    `A pull request already exists for ${owner}:${head}.`,
                }],
              })
              : json(409, {
                message:
                  `pull request already exists for these targets [id: ${dup.number}, head_branch: ${head}, base_branch: ${into}]`,
              });
          }
          const pull = openPull({
            head,
            base: into,
            title,
            body: String(body.body ?? ""),
            draft: body.draft === true,
          });
          return json(201, view(pull));
        }
        if (req.method === "PATCH" && n) {
          const pull = pulls.find((p) => p.number === Number(n));
          if (!pull) return json(404, { message: "Not Found" });
          if (typeof body.title === "string") pull.title = body.title;
          if (typeof body.body === "string") pull.body = body.body;
          if (typeof body.base === "string") pull.base = body.base;
          return json(kind === "gitea" ? 201 : 200, view(pull));
        }
        return json(405, { message: "Method Not Allowed" });
      }
      if (kind === "gitlab") {
        const m = /^\/projects\/([^/]+)\/merge_requests(?:\/(\d+))?$/.exec(
          path,
        );
        if (!m) return json(404, { message: "404 Not Found" });
        const [, id = "", n] = m;
        const project = decodeURIComponent(id);
        const view = (p: Pull) => ({
          iid: p.number,
          web_url: `${origin}/${project}/-/merge_requests/${p.number}`,
          title: p.title,
          description: p.body,
          source_branch: p.head,
          target_branch: p.base,
          draft: p.title.startsWith("Draft: "),
          state: p.open ? "opened" : "closed",
        });
        if (req.method === "GET" && !n) {
          let open = pulls.filter((p) => p.open);
          if (listHidden()) open = [];
          const source = url.searchParams.get("source_branch");
          if (source) open = open.filter((p) => p.head === source);
          return json(200, open.map(view));
        }
        if (req.method === "POST" && !n) {
          const { source_branch: head, target_branch: into, title } =
            body as Record<string, string>;
          if (!head || !into || !title) {
            return json(400, { error: "title is missing" });
          }
          const dup = pulls.find((p) =>
            p.open && p.head === head && p.base === into
          );
          if (dup) {
            return json(409, {
              message: [
                `Another open merge request already exists for this source branch: !${dup.number}`,
              ],
            });
          }
          const pull = openPull({
            head,
            base: into,
            title,
            body: String(body.description ?? ""),
            draft: title.startsWith("Draft: "),
          });
          return json(201, view(pull));
        }
        if (req.method === "PUT" && n) {
          const pull = pulls.find((p) => p.number === Number(n));
          if (!pull) return json(404, { message: "404 Not found" });
          if (typeof body.title === "string") pull.title = body.title;
          if (typeof body.description === "string") {
            pull.body = body.description;
          }
          if (typeof body.target_branch === "string") {
            pull.base = body.target_branch;
          }
          return json(200, view(pull));
        }
        return json(405, { message: "405 Method Not Allowed" });
      }
      // Bitbucket Cloud
      const m = /^\/repositories\/([^/]+)\/([^/]+)\/pullrequests(?:\/(\d+))?$/
        .exec(path);
      if (!m) {
        return json(404, { type: "error", error: { message: "Not found" } });
      }
      const [, ws, slug, n] = m;
      const view = (p: Pull) => ({
        id: p.number,
        title: p.title,
        description: p.body,
        draft: p.draft,
        state: p.open ? "OPEN" : "DECLINED",
        source: { branch: { name: p.head } },
        destination: { branch: { name: p.base } },
        links: {
          html: { href: `${origin}/${ws}/${slug}/pull-requests/${p.number}` },
        },
      });
      if (req.method === "GET" && !n) {
        let open = pulls.filter((p) => p.open);
        if (listHidden()) open = [];
        const q = url.searchParams.get("q") ?? "";
        const branch = /source\.branch\.name="([^"]*)"/.exec(q)?.[1];
        if (branch !== undefined) open = open.filter((p) => p.head === branch);
        return json(200, {
          values: open.map(view),
          pagelen: 10,
          size: open.length,
        });
      }
      if (req.method === "POST" && !n) {
        const source = body.source as
          | { branch?: { name?: string } }
          | undefined;
        const dest = body.destination as
          | { branch?: { name?: string } }
          | undefined;
        const head = source?.branch?.name;
        const into = dest?.branch?.name;
        if (!head || !into || typeof body.title !== "string") {
          return json(400, {
            type: "error",
            error: { message: "Bad request" },
          });
        }
        const open = pulls.find((p) =>
          p.open && p.head === head && p.base === into
        );
        if (open) {
          open.title = body.title;
          if (typeof body.description === "string") {
            open.body = body.description;
          }
          return json(201, view(open));
        }
        const pull = openPull({
          head,
          base: into,
          title: body.title,
          body: String(body.description ?? ""),
          draft: body.draft === true,
        });
        return json(201, view(pull));
      }
      if (req.method === "PUT" && n) {
        const pull = pulls.find((p) => p.number === Number(n));
        if (!pull) {
          return json(404, { type: "error", error: { message: "Not found" } });
        }
        if (typeof body.title === "string") pull.title = body.title;
        if (typeof body.description === "string") pull.body = body.description;
        const into = (body.destination as { branch?: { name?: string } })
          ?.branch?.name;
        if (into) pull.base = into;
        return json(200, view(pull));
      }
      return json(405, {
        type: "error",
        error: { message: "Method not allowed" },
      });
    },
  );
  const forge: FakeForge = {
    api: `http://127.0.0.1:${server.addr.port}${BASES[kind]}`,
    calls,
    pulls,
    comments,
    permissions,
    get hiddenLists() {
      return state.hiddenLists;
    },
    set hiddenLists(value: number) {
      state.hiddenLists = value;
    },
    close: () => server.shutdown(),
  };
  return forge;
}

/** Hosts the fake of each kind stands in for (the API itself is on loopback). */
export const FORGE_HOSTS: Record<ForgeKind, string> = {
  github: "github.mycorp.com",
  gitlab: "gitlab.example.com",
  gitea: "git.example.com",
  bitbucket: "bitbucket.org",
};

/** Repository path on each kind's host (GitLab: a subgroup). */
export const FORGE_REPO_PATHS: Record<ForgeKind, string> = {
  github: "acme/widgets",
  gitlab: "acme/tools/widgets",
  gitea: "acme/widgets",
  bitbucket: "acme/widgets",
};

/** A repository URL on `kind`'s host and credentials pointing its API at `forge`. */
export function forgeCredentials(
  kind: ForgeKind,
  forge: FakeForge,
  entry: { token: string; username?: string },
): { repo: string; credentials: GitCredentials } {
  const { credentials, issues } = readGitCredentials(
    JSON.stringify({
      [FORGE_HOSTS[kind]]: {
        ...entry,
        kind,
        api: forge.api,
        insecure_http: true,
      },
    }),
    null,
  );
  if (issues.length > 0) throw new Error(issues.join("; "));
  return {
    repo: `https://${FORGE_HOSTS[kind]}/${FORGE_REPO_PATHS[kind]}.git`,
    credentials,
  };
}

/** Runs `fn` with a fresh fake `kind` API accepting `token`, and credentials that point at it. */
export async function withFakeForge<T>(
  opts: { kind: ForgeKind; token: string; username?: string },
  fn: (
    forge: FakeForge,
    target: { repo: string; credentials: GitCredentials },
  ) => Promise<T>,
): Promise<T> {
  const { kind, ...entry } = opts;
  const forge = startFakeForge(kind, entry.token);
  try {
    return await fn(forge, forgeCredentials(kind, forge, entry));
  } finally {
    await forge.close();
  }
}
