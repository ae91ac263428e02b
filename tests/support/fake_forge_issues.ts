/**
 * The issue side of the fake forges (triggers): comments, a user's access,
 * a file at a ref, following each forge's documented paths and fields.
 * - GitHub: `POST /repos/{o}/{r}/issues/{n}/comments` → 201 `{ id, body, html_url }`;
 *   `GET …/collaborators/{user}/permission` → `{ permission: admin|write|read|none }`;
 *   `GET …/contents/{path}?ref=` → `{ type: "file", encoding: "base64", content }` or 404.
 * - Gitea/Forgejo: the same paths and fields (`permission` may be `owner`).
 * - GitLab: `POST /projects/{id}/issues/{iid}/notes` or `…/merge_requests/{iid}/notes`
 *   → 201 `{ id, body }`; `GET …/members/all/{user_id}` → `{ access_level }` or 404;
 *   `GET …/repository/files/{url-encoded path}?ref=` → `{ encoding: "base64", content }` or 404.
 */
import type { ForgeKind } from "../../lib/forge/mod.ts";

/** A comment the fake received. */
export interface ForgeComment {
  number: number;
  /** Posted on a merge request (GitLab's `merge_requests/…/notes`); null on forges that do not say. */
  mergeRequest: boolean | null;
  body: string;
}

/** What the issue side keeps and reads. */
export interface IssueSide {
  comments: ForgeComment[];
  permissions: Map<string, string | number>;
  origin: string;
  /** The file's text at `ref`, or null when absent. */
  readFile(path: string, ref: string): Promise<string | null>;
}

const json = (status: number, value: unknown) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  // GitHub wraps its base64 at 60 columns.
  return btoa(binary).replace(/(.{60})/g, "$1\n");
}

/** The answer of an issue-side request, or null when `path` is not one. */
export async function issueSideAnswer(
  kind: ForgeKind,
  method: string,
  path: string,
  url: URL,
  body: Record<string, unknown>,
  side: IssueSide,
): Promise<Response | null> {
  const ref = url.searchParams.get("ref") ?? "";
  if (kind === "github" || kind === "gitea") {
    const comment = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(
      path,
    );
    if (comment && method === "POST") {
      if (typeof body.body !== "string" || body.body === "") {
        return json(422, { message: "Validation Failed" });
      }
      side.comments.push({
        number: Number(comment[1]),
        mergeRequest: null,
        body: body.body,
      });
      return json(201, {
        id: side.comments.length,
        body: body.body,
        html_url: `${side.origin}/issues/${
          comment[1]
        }#comment-${side.comments.length}`,
      });
    }
    const perm = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/
      .exec(path);
    if (perm && method === "GET") {
      const login = decodeURIComponent(perm[1]!);
      const level = side.permissions.get(login);
      if (level === undefined) {
        return kind === "github"
          ? json(200, { permission: "none", user: { login } })
          : json(403, { message: `user ${login} is not a collaborator` });
      }
      return json(200, { permission: level, user: { login } });
    }
    const file = /^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/.exec(path);
    if (file && method === "GET") {
      const filePath = file[1]!.split("/").map(decodeURIComponent).join("/");
      const text = await side.readFile(filePath, ref);
      if (text === null) return json(404, { message: "Not Found" });
      return json(200, {
        type: "file",
        encoding: "base64",
        path: filePath,
        content: base64(text),
      });
    }
    return null;
  }
  if (kind === "gitlab") {
    const note = /^\/projects\/[^/]+\/(issues|merge_requests)\/(\d+)\/notes$/
      .exec(path);
    if (note && method === "POST") {
      if (typeof body.body !== "string" || body.body === "") {
        return json(400, { message: "400 Bad request - body is missing" });
      }
      side.comments.push({
        number: Number(note[2]),
        mergeRequest: note[1] === "merge_requests",
        body: body.body,
      });
      return json(201, { id: side.comments.length, body: body.body });
    }
    const member = /^\/projects\/[^/]+\/members\/all\/(\d+)$/.exec(path);
    if (member && method === "GET") {
      const level = side.permissions.get(member[1]!);
      return typeof level === "number"
        ? json(200, { id: Number(member[1]), access_level: level })
        : json(404, { message: "404 Not found" });
    }
    const file = /^\/projects\/[^/]+\/repository\/files\/([^/]+)$/.exec(path);
    if (file && method === "GET") {
      const filePath = decodeURIComponent(file[1]!);
      const text = await side.readFile(filePath, ref);
      if (text === null) return json(404, { message: "404 File Not Found" });
      return json(200, {
        file_path: filePath,
        ref,
        encoding: "base64",
        content: base64(text).replace(/\n/g, ""),
      });
    }
  }
  return null;
}
