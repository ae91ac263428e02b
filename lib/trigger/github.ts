/**
 * GitHub deliveries: `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID, the same
 * on a redelivery), `X-Hub-Signature-256: sha256=HMAC`. Events: `issues`
 * (`labeled`, with `label.name`), `issue_comment` (`created`; `issue.pull_request`
 * set on a pull request), `pull_request_review` (`submitted`, `review.state`)
 * and `pull_request_review_comment` (`created`).
 */
import { z } from "zod";
import { deliveryIdFrom, readPayload } from "./payload.ts";
import type { TriggerSource } from "./source.ts";
import { issueEvent } from "./source.ts";
import { PayloadError } from "./types.ts";
import { verifyHmac } from "./verify.ts";

const user = z.object({
  login: z.string().max(200),
  id: z.number().int(),
  type: z.string().max(50).optional(),
});
const repository = z.object({
  clone_url: z.string().max(2000),
  html_url: z.string().max(2000),
  default_branch: z.string().max(255),
});
const thread = z.object({
  number: z.number().int().positive(),
  title: z.string().max(100_000),
  body: z.string().max(1_000_000).nullable().optional(),
  html_url: z.string().max(2000),
  pull_request: z.object({}).passthrough().nullable().optional(),
});

const isBot = (u: z.infer<typeof user>) =>
  u.type === "Bot" || u.login.endsWith("[bot]");

/** The GitHub trigger source. */
export const githubSource: TriggerSource = {
  forge: "GitHub",
  eventHeader: "X-GitHub-Event",
  signatureHeader: "X-Hub-Signature-256",
  verify: (headers, body, secret) =>
    verifyHmac(headers.get("x-hub-signature-256"), body, secret, "sha256="),
  deliveryId: (headers) => deliveryIdFrom(headers, ["x-github-delivery"]),
  eventName: (headers) => headers.get("x-github-event"),
  repoUrl: (event, json) =>
    readPayload(z.object({ repository }), json, event).repository.html_url,
  read(event, json, base) {
    const repo = readPayload(z.object({ repository }), json, event).repository;
    const common = {
      ...base,
      repo: repo.clone_url,
      defaultBranch: repo.default_branch,
    };
    if (event === "issues") {
      const p = readPayload(
        z.object({
          action: z.string(),
          issue: thread,
          sender: user,
          label: z.object({ name: z.string().max(500) }).optional(),
        }),
        json,
        event,
      );
      if (p.action !== "labeled") return { ignored: `issues/${p.action}` };
      return issueEvent(common, {
        target: { ...p.issue, pullRequest: Boolean(p.issue.pull_request) },
        action: "labeled",
        label: p.label?.name ?? null,
        author: {
          login: p.sender.login,
          id: p.sender.id,
          bot: isBot(p.sender),
        },
        text: null,
      });
    }
    if (event === "issue_comment" || event === "pull_request_review_comment") {
      const p = readPayload(
        z.object({
          action: z.string(),
          comment: z.object({ body: z.string().max(1_000_000), user }),
          issue: thread.optional(),
          pull_request: thread.optional(),
        }),
        json,
        event,
      );
      if (p.action !== "created") return { ignored: `${event}/${p.action}` };
      const on = p.issue ?? p.pull_request;
      if (!on) {
        throw new PayloadError(
          `The '${event}' payload has neither 'issue' nor 'pull_request'`,
        );
      }
      return issueEvent(common, {
        target: {
          ...on,
          pullRequest: event === "pull_request_review_comment" ||
            Boolean(on.pull_request),
        },
        action: event === "issue_comment" ? "comment" : "review",
        label: null,
        author: {
          login: p.comment.user.login,
          id: p.comment.user.id,
          bot: isBot(p.comment.user),
        },
        text: p.comment.body,
      });
    }
    if (event === "pull_request_review") {
      const p = readPayload(
        z.object({
          action: z.string(),
          review: z.object({
            body: z.string().max(1_000_000).nullable().optional(),
            state: z.string().max(50),
            user,
          }),
          pull_request: thread,
        }),
        json,
        event,
      );
      if (p.action !== "submitted") return { ignored: `${event}/${p.action}` };
      return issueEvent(common, {
        target: { ...p.pull_request, pullRequest: true },
        action: "review",
        label: null,
        author: {
          login: p.review.user.login,
          id: p.review.user.id,
          bot: isBot(p.review.user),
        },
        text: p.review.body ?? "",
        changesRequested: p.review.state.toLowerCase() === "changes_requested",
      });
    }
    return { ignored: `event '${event.slice(0, 60)}'` };
  },
};
