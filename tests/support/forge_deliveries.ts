/**
 * Webhook deliveries as each forge sends them (documented headers and
 * payload fields), signed with a host's `webhook_secret`, for /triggers tests.
 * - GitHub: `X-GitHub-Event`, `X-GitHub-Delivery` (GUID), `X-Hub-Signature-256: sha256=HMAC-SHA256(body)`;
 *   `issues` (`labeled`, `label`), `issue_comment` (`created`; `issue.pull_request` on a PR),
 *   `pull_request_review` (`submitted`, `review.state`); `sender` / `comment.user` with `login`, `id`, `type`.
 * - GitLab: `X-Gitlab-Event: Issue Hook | Note Hook`, `X-Gitlab-Token: secret`,
 *   `X-Gitlab-Event-UUID`, `Idempotency-Key`; `object_attributes`, `changes.labels`, `user.username`.
 * - Gitea: `X-Gitea-Event`, `X-Gitea-Delivery`, `X-Gitea-Signature: HMAC-SHA256 hex`;
 *   `issues` (`label_updated`, `issue.labels`), `issue_comment` (`created`, `is_pull`),
 *   `pull_request_rejected` / `_approved` / `_comment` (`reviewed`, `review.content`).
 */
import { hmacHex } from "../../lib/trigger/mod.ts";
import type { TriggerKind } from "../../lib/trigger/mod.ts";

/** A delivery ready to POST. */
export interface Delivery {
  headers: Record<string, string>;
  body: string;
  id: string;
}

/** Where the repository lives (web URL without `.git`) and its default branch. */
export interface DeliveryRepo {
  /** `https://host/path` */
  web: string;
  defaultBranch: string;
}

/** The thread a delivery is about. */
export interface DeliveryThread {
  number: number;
  title: string;
  body: string;
  pullRequest?: boolean;
  /** The pull request's web URL (default: the forge's usual form). */
  url?: string;
}

/** Who acted. */
export interface DeliveryUser {
  login: string;
  id: number;
  bot?: boolean;
}

/** Signs `payload` as `kind` sends `event` (a fresh delivery id unless given). */
export async function signedDelivery(
  kind: TriggerKind,
  event: string,
  payload: unknown,
  secret: string,
  id: string = crypto.randomUUID(),
): Promise<Delivery> {
  const body = JSON.stringify(payload);
  const mac = await hmacHex(secret, new TextEncoder().encode(body));
  const headers: Record<string, string> = {
    "content-type": "application/json",
  };
  if (kind === "github") {
    headers["x-github-event"] = event;
    headers["x-github-delivery"] = id;
    headers["x-hub-signature-256"] = `sha256=${mac}`;
  } else if (kind === "gitlab") {
    headers["x-gitlab-event"] = event;
    headers["x-gitlab-token"] = secret;
    headers["x-gitlab-event-uuid"] = id;
    headers["idempotency-key"] = id;
  } else {
    headers["x-gitea-event"] = event;
    headers["x-gitea-delivery"] = id;
    headers["x-gitea-signature"] = mac;
    // Gitea sends GitHub's header too.
    headers["x-hub-signature-256"] = `sha256=${mac}`;
  }
  return { headers, body, id };
}

/** POSTs `delivery` to `/triggers/{kind}` of `url`. */
export async function deliver(
  url: string,
  kind: string,
  delivery: Delivery,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/triggers/${kind}`, {
    method: "POST",
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: res.status, body: await res.json() };
}

function threadUrl(kind: TriggerKind, repo: DeliveryRepo, t: DeliveryThread) {
  if (t.url) return t.url;
  if (kind === "gitlab") {
    return `${repo.web}/-/${
      t.pullRequest ? "merge_requests" : "issues"
    }/${t.number}`;
  }
  return `${repo.web}/${
    t.pullRequest ? (kind === "gitea" ? "pulls" : "pull") : "issues"
  }/${t.number}`;
}

function githubRepository(repo: DeliveryRepo) {
  return {
    id: 1,
    full_name: new URL(repo.web).pathname.slice(1),
    html_url: repo.web,
    clone_url: `${repo.web}.git`,
    default_branch: repo.defaultBranch,
  };
}

function gitlabProject(repo: DeliveryRepo) {
  return {
    id: 7,
    path_with_namespace: new URL(repo.web).pathname.slice(1),
    web_url: repo.web,
    git_http_url: `${repo.web}.git`,
    default_branch: repo.defaultBranch,
  };
}

/** The `issues`-labeled payload (GitLab: `Issue Hook` with `changes.labels`; Gitea: `label_updated`). */
export function labeledPayload(
  kind: TriggerKind,
  repo: DeliveryRepo,
  thread: DeliveryThread,
  user: DeliveryUser,
  label: string,
): { event: string; payload: Record<string, unknown> } {
  const url = threadUrl(kind, repo, thread);
  if (kind === "github") {
    return {
      event: "issues",
      payload: {
        action: "labeled",
        issue: {
          number: thread.number,
          title: thread.title,
          body: thread.body,
          html_url: url,
          labels: [{ name: label }],
        },
        label: { name: label },
        repository: githubRepository(repo),
        sender: {
          login: user.login,
          id: user.id,
          type: user.bot ? "Bot" : "User",
        },
      },
    };
  }
  if (kind === "gitlab") {
    return {
      event: "Issue Hook",
      payload: {
        object_kind: "issue",
        event_type: "issue",
        user: { id: user.id, username: user.login, name: user.login },
        project: gitlabProject(repo),
        object_attributes: {
          iid: thread.number,
          title: thread.title,
          description: thread.body,
          url,
          action: "update",
        },
        labels: [{ title: label }],
        changes: {
          labels: { previous: [], current: [{ title: label }] },
        },
      },
    };
  }
  return {
    event: "issues",
    payload: {
      action: "label_updated",
      number: thread.number,
      issue: {
        number: thread.number,
        title: thread.title,
        body: thread.body,
        html_url: url,
        labels: [{ name: label }],
        pull_request: null,
      },
      repository: githubRepository(repo),
      sender: { login: user.login, id: user.id },
    },
  };
}

/** A comment created on an issue or pull request. */
export function commentPayload(
  kind: TriggerKind,
  repo: DeliveryRepo,
  thread: DeliveryThread,
  user: DeliveryUser,
  text: string,
): { event: string; payload: Record<string, unknown> } {
  const url = threadUrl(kind, repo, thread);
  if (kind === "github") {
    return {
      event: "issue_comment",
      payload: {
        action: "created",
        issue: {
          number: thread.number,
          title: thread.title,
          body: thread.body,
          html_url: url,
          ...(thread.pullRequest ? { pull_request: { html_url: url } } : {}),
        },
        comment: {
          id: 99,
          body: text,
          user: {
            login: user.login,
            id: user.id,
            type: user.bot ? "Bot" : "User",
          },
        },
        repository: githubRepository(repo),
        sender: { login: user.login, id: user.id },
      },
    };
  }
  if (kind === "gitlab") {
    const on = {
      iid: thread.number,
      title: thread.title,
      description: thread.body,
      url,
    };
    return {
      event: "Note Hook",
      payload: {
        object_kind: "note",
        event_type: "note",
        user: { id: user.id, username: user.login, name: user.login },
        project: gitlabProject(repo),
        object_attributes: {
          id: 5,
          note: text,
          noteable_type: thread.pullRequest ? "MergeRequest" : "Issue",
          action: "create",
          system: false,
          url: `${url}#note_5`,
        },
        ...(thread.pullRequest ? { merge_request: on } : { issue: on }),
      },
    };
  }
  return {
    event: "issue_comment",
    payload: {
      action: "created",
      issue: {
        number: thread.number,
        title: thread.title,
        body: thread.body,
        html_url: url,
        pull_request: thread.pullRequest ? { merged: false } : null,
      },
      comment: { id: 9, body: text, user: { login: user.login, id: user.id } },
      repository: githubRepository(repo),
      sender: { login: user.login, id: user.id },
      is_pull: thread.pullRequest === true,
    },
  };
}

/**
 * A review submitted on a pull request: GitHub `pull_request_review`
 * (`submitted`, `review.state` `changes_requested` | `approved` |
 * `commented`, `review.body`); Gitea `pull_request_rejected` |
 * `pull_request_approved` | `pull_request_comment` (`reviewed`,
 * `review.type`, `review.content`). GitLab has no review event (a merge
 * request's note is a comment).
 */
export function reviewPayload(
  kind: "github" | "gitea",
  repo: DeliveryRepo,
  thread: DeliveryThread,
  user: DeliveryUser,
  review: {
    state: "changes_requested" | "approved" | "commented";
    body: string;
  },
): { event: string; payload: Record<string, unknown> } {
  const url = threadUrl(kind, repo, { ...thread, pullRequest: true });
  const pullRequest = {
    number: thread.number,
    title: thread.title,
    body: thread.body,
    html_url: url,
    state: "open",
  };
  if (kind === "github") {
    const who = {
      login: user.login,
      id: user.id,
      type: user.bot ? "Bot" : "User",
    };
    return {
      event: "pull_request_review",
      payload: {
        action: "submitted",
        review: {
          id: 501,
          body: review.body,
          state: review.state,
          user: who,
          html_url: `${url}#pullrequestreview-501`,
        },
        pull_request: pullRequest,
        repository: githubRepository(repo),
        sender: who,
      },
    };
  }
  const gitea = {
    changes_requested: "rejected",
    approved: "approved",
    commented: "comment",
  }[review.state];
  return {
    event: `pull_request_${gitea}`,
    payload: {
      action: "reviewed",
      number: thread.number,
      pull_request: pullRequest,
      repository: githubRepository(repo),
      sender: { login: user.login, id: user.id },
      review: {
        type: `pull_request_review_${gitea}`,
        content: review.body,
      },
    },
  };
}
