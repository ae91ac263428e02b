/**
 * Gitea/Forgejo deliveries: `X-Gitea-Event`, `X-Gitea-Delivery`,
 * `X-Gitea-Signature: HEX` (HMAC-SHA256 of the body, no prefix). Events:
 * `issues` `label_updated` (the payload holds the issue's labels after the
 * change, not the one added), `issue_comment` `created` (`is_pull` on a pull
 * request), and the review events `pull_request_approved`,
 * `pull_request_rejected`, `pull_request_comment` (`reviewed`, `review.content`).
 * Payload fields follow GitHub's (`number`, `html_url`, `clone_url`, `login`).
 */
import { z } from "zod";
import { deliveryIdFrom, readPayload } from "./payload.ts";
import { issueEvent, type TriggerSource } from "./source.ts";
import { verifyHmac } from "./verify.ts";

const user = z.object({ login: z.string().max(200), id: z.number().int() });
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
  labels: z.array(z.object({ name: z.string().max(500) })).max(1000)
    .nullable().optional(),
});

const REVIEWS = new Set([
  "pull_request_approved",
  "pull_request_rejected",
  "pull_request_comment",
]);

/** The Gitea trigger source. */
export const giteaSource: TriggerSource = {
  forge: "Gitea",
  eventHeader: "X-Gitea-Event",
  signatureHeader: "X-Gitea-Signature",
  verify: (headers, body, secret) =>
    verifyHmac(headers.get("x-gitea-signature"), body, secret, ""),
  deliveryId: (headers) => deliveryIdFrom(headers, ["x-gitea-delivery"]),
  eventName: (headers) => headers.get("x-gitea-event"),
  repoUrl: (event, json) =>
    readPayload(z.object({ repository }), json, event).repository.html_url,
  read(event, json, base) {
    const repo = readPayload(z.object({ repository }), json, event).repository;
    const common = {
      ...base,
      repo: repo.clone_url,
      defaultBranch: repo.default_branch,
    };
    const author = (u: z.infer<typeof user>) => ({
      login: u.login,
      id: u.id,
      bot: u.login.endsWith("[bot]"),
    });
    if (event === "issues") {
      const p = readPayload(
        z.object({ action: z.string(), issue: thread, sender: user }),
        json,
        event,
      );
      if (p.action !== "label_updated") {
        return { ignored: `issues/${p.action.slice(0, 50)}` };
      }
      const has = (p.issue.labels ?? []).some((l) => l.name === base.label);
      return issueEvent(common, {
        target: { ...p.issue, pullRequest: false },
        action: "labeled",
        label: has ? base.label : null,
        author: author(p.sender),
        text: null,
      });
    }
    if (event === "issue_comment") {
      const p = readPayload(
        z.object({
          action: z.string(),
          issue: thread,
          comment: z.object({ body: z.string().max(1_000_000), user }),
          is_pull: z.boolean().optional(),
        }),
        json,
        event,
      );
      if (p.action !== "created") {
        return { ignored: `issue_comment/${p.action.slice(0, 50)}` };
      }
      return issueEvent(common, {
        target: { ...p.issue, pullRequest: p.is_pull === true },
        action: "comment",
        label: null,
        author: author(p.comment.user),
        text: p.comment.body,
      });
    }
    if (REVIEWS.has(event)) {
      const p = readPayload(
        z.object({
          action: z.string(),
          pull_request: thread,
          review: z.object({ content: z.string().max(1_000_000) }).nullable()
            .optional(),
          sender: user,
        }),
        json,
        event,
      );
      if (p.action !== "reviewed") {
        return { ignored: `${event}/${p.action.slice(0, 50)}` };
      }
      return issueEvent(common, {
        target: { ...p.pull_request, pullRequest: true },
        action: "review",
        label: null,
        author: author(p.sender),
        text: p.review?.content ?? "",
        changesRequested: event === "pull_request_rejected",
      });
    }
    return { ignored: `event '${event.slice(0, 60)}'` };
  },
};
