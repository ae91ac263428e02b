/** A forge delivery reduced to what a trigger acts on (the same shape for every forge). */
import { z } from "zod";

/** Longest title and body AOS takes from an issue (the rest is cut with a note). */
export const MAX_ISSUE_TITLE = 200;
/** Longest issue body or comment taken into a task. */
export const MAX_ISSUE_TEXT = 20_000;

/** The issue or pull request a delivery is about. */
export const triggerTargetSchema = z.object({
  number: z.number().int().positive(),
  pullRequest: z.boolean(),
  /** Its web page. */
  url: z.string(),
  title: z.string(),
  body: z.string(),
});

/** What happened, normalized. */
export const triggerEventSchema = z.object({
  kind: z.enum(["github", "gitlab", "gitea"]),
  deliveryId: z.string(),
  /** The https URL the repository is cloned from. */
  repo: z.string(),
  /** Its default branch (the clone branch of runs from its issues). */
  defaultBranch: z.string(),
  target: triggerTargetSchema,
  /** `labeled`: the trigger label was added; `comment` / `review`: text on the thread. */
  action: z.enum(["labeled", "comment", "review"]),
  author: z.object({
    login: z.string(),
    id: z.number().nullable(),
    bot: z.boolean(),
  }),
  /** The comment or review text (null for a label). */
  text: z.string().nullable(),
  /** A review that asks for changes (a follow-up without `/aos`). */
  changesRequested: z.boolean(),
});

/** A delivery reduced to what a trigger acts on. */
export type TriggerEvent = z.infer<typeof triggerEventSchema>;

/** Which forge kinds deliver triggers. */
export type TriggerKind = TriggerEvent["kind"];

/** Where a run from a trigger answers: stored beside the run, read when it ends. */
export const triggerOriginSchema = z.object({
  kind: z.enum(["github", "gitlab", "gitea"]),
  repo: z.string(),
  target: triggerTargetSchema.pick({
    number: true,
    pullRequest: true,
    url: true,
  }),
  author: z.string(),
  /** Whether the run waited for a maintainer before it started. */
  held: z.boolean(),
});

/** Where a run from a trigger answers. */
export type TriggerOrigin = z.infer<typeof triggerOriginSchema>;

/** A delivery that is not what it claims (400, naming what is wrong). */
export class PayloadError extends Error {
  override name = "PayloadError";
}
