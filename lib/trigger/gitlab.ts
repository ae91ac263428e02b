/**
 * GitLab deliveries: `X-Gitlab-Event` (`Issue Hook`, `Note Hook`),
 * `X-Gitlab-Token` (the webhook's secret token, compared constant-time),
 * `Idempotency-Key` (the same on a retry; GitLab 17.4+) else
 * `X-Gitlab-Event-UUID`. An issue labeled: `changes.labels.current` holds
 * the label and `previous` did not. A note: `object_attributes.note` on an
 * `Issue` or `MergeRequest` (`action` `create`; system notes skipped).
 */
import { z } from "zod";
import { deliveryIdFrom, readPayload } from "./payload.ts";
import { issueEvent, type TriggerSource } from "./source.ts";
import { PayloadError } from "./types.ts";
import { sameSecret } from "./verify.ts";

const user = z.object({ id: z.number().int(), username: z.string().max(200) });
const project = z.object({
  web_url: z.string().max(2000),
  git_http_url: z.string().max(2000),
  default_branch: z.string().max(255).nullable().optional(),
});
const labels = z.array(z.object({ title: z.string().max(500) })).max(1000);
const thread = z.object({
  iid: z.number().int().positive(),
  title: z.string().max(100_000),
  description: z.string().max(1_000_000).nullable().optional(),
  url: z.string().max(2000).optional(),
});

const isBot = (name: string) =>
  /^(?:project|group)_\d+_bot/.test(name) || name.endsWith("[bot]");

/** The GitLab trigger source. */
export const gitlabSource: TriggerSource = {
  forge: "GitLab",
  eventHeader: "X-Gitlab-Event",
  signatureHeader: "X-Gitlab-Token",
  verify: (headers, _body, secret) => {
    const token = headers.get("x-gitlab-token");
    return Promise.resolve(token !== null && sameSecret(token, secret));
  },
  deliveryId: (headers) =>
    deliveryIdFrom(headers, ["idempotency-key", "x-gitlab-event-uuid"]),
  eventName: (headers) => headers.get("x-gitlab-event"),
  repoUrl: (event, json) =>
    readPayload(z.object({ project }), json, event).project.web_url,
  read(event, json, base) {
    const p0 = readPayload(z.object({ project, user }), json, event);
    const common = {
      ...base,
      repo: p0.project.git_http_url,
      defaultBranch: p0.project.default_branch ?? "main",
    };
    const author = {
      login: p0.user.username,
      id: p0.user.id,
      bot: isBot(p0.user.username),
    };
    if (event === "Issue Hook") {
      const p = readPayload(
        z.object({
          object_attributes: thread,
          changes: z.object({
            labels: z.object({ previous: labels, current: labels }).optional(),
          }).optional(),
        }),
        json,
        event,
      );
      const change = p.changes?.labels;
      const added = change?.current.some((l) => l.title === base.label) &&
        !change.previous.some((l) => l.title === base.label);
      if (!added) return { ignored: `no '${base.label}' label added` };
      const issue = p.object_attributes;
      return issueEvent(common, {
        target: {
          number: issue.iid,
          title: issue.title,
          body: issue.description,
          url: issue.url ?? "",
          pullRequest: false,
        },
        action: "labeled",
        label: base.label,
        author,
        text: null,
      });
    }
    if (event === "Note Hook") {
      const p = readPayload(
        z.object({
          object_attributes: z.object({
            note: z.string().max(1_000_000),
            noteable_type: z.string().max(50),
            action: z.string().max(50).optional(),
            system: z.boolean().optional(),
            url: z.string().max(2000).optional(),
          }),
          issue: thread.optional(),
          merge_request: thread.optional(),
        }),
        json,
        event,
      );
      const note = p.object_attributes;
      if (note.system) return { ignored: "a system note" };
      if (note.action !== undefined && note.action !== "create") {
        return { ignored: `note/${note.action}` };
      }
      const mr = note.noteable_type === "MergeRequest";
      const on = mr ? p.merge_request : p.issue;
      if (note.noteable_type !== "Issue" && !mr) {
        return { ignored: `a note on a ${note.noteable_type.slice(0, 50)}` };
      }
      if (!on) {
        throw new PayloadError(
          `The '${event}' payload has no '${mr ? "merge_request" : "issue"}'`,
        );
      }
      return issueEvent(common, {
        target: {
          number: on.iid,
          title: on.title,
          body: on.description,
          url: on.url ?? (note.url ?? "").replace(/#.*$/, ""),
          pullRequest: mr,
        },
        action: "comment",
        label: null,
        author,
        text: note.note,
      });
    }
    return { ignored: `event '${event.slice(0, 60)}'` };
  },
};
