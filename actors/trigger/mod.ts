/**
 * The trigger actor: acts on one verified forge delivery (routes/triggers.ts
 * committed it with its replay guard). A label or `/aos` comment on an issue
 * starts a run; a `/aos` comment or a review asking for changes on a pull
 * request AOS opened starts a follow-up of the run behind it; `/aos approve`
 * or `/aos reject` decides a run of the thread waiting for approval. Authors
 * without write access (asked from the forge) and not in AOS_TRIGGER_ALLOW
 * get a run held in AWAITING_APPROVAL before anything runs. Each step is
 * idempotent (the run's Idempotency-Key is the delivery), so a redelivered
 * message creates nothing twice.
 */
import { defineActor, retryTransient } from "../../runtime/mod.ts";
import type { ActorContext, Mutation } from "../../runtime/mod.ts";
import { ConflictError, ValidationError } from "../../lib/errors.ts";
import {
  postComment,
  readRepoFile,
  repoPathOf,
  userCanWrite,
} from "../../lib/forge/mod.ts";
import { TERMINAL_STATUSES } from "../../lib/store/mod.ts";
import type { RunRecord } from "../../lib/store/mod.ts";
import {
  DEFAULTS_PATH,
  parseCommand,
  readDefaults,
  type TriggerEvent,
  triggerFields,
  TriggerKeys,
  type TriggerOrigin,
} from "../../lib/trigger/mod.ts";
import type { RunService } from "../run/service.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { aosComment, createdComment, runLink } from "./comments.ts";
import { type TriggerMessage, triggerMessages } from "./messages.ts";
import { transientForgeError } from "./reply.ts";

export { notifyForge, replyActor } from "./reply.ts";
export { triggerRef } from "./messages.ts";

/** What the trigger actor needs besides the factory's deps. */
export interface TriggerDeps extends FactoryDeps {
  runs: RunService;
}

type Ctx = ActorContext<null, TriggerMessage>;

const RUN_MARKER = /<!-- aos-run: ([0-9a-f-]{36}) -->/;

/** The trigger actor type. */
export function triggerActor(deps: TriggerDeps) {
  const { store } = deps;
  const keys = new TriggerKeys(store.keys.prefix);
  const credentials = () => deps.config.gitCredentials;

  /** Posts `text` on the event's thread; a refusal is logged, an outage retried. */
  async function say(ctx: Ctx, event: TriggerEvent, text: string) {
    try {
      await postComment({
        repo: event.repo,
        credentials: credentials(),
        target: event.target,
        text: deps.redactor.redactKnown(text),
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted || transientForgeError(error)) throw error;
      deps.log?.(
        deps.redactor.redact(
          `Trigger ${ctx.self.id}: could not comment on ${event.target.url}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      );
    }
  }

  /** Whether the author may start runs directly: AOS_TRIGGER_ALLOW, else write access asked from the forge. */
  async function trusted(ctx: Ctx, event: TriggerEvent): Promise<boolean> {
    const login = event.author.login.toLowerCase();
    const host = repoPathOf(event.repo)?.host ?? "";
    const allow = deps.config.trigger.allow;
    if (allow.includes(login) || allow.includes(`${host}:${login}`)) {
      return true;
    }
    try {
      return await userCanWrite({
        repo: event.repo,
        credentials: credentials(),
        user: { login: event.author.login, id: event.author.id },
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted || transientForgeError(error)) throw error;
      // A refusal to say is no permission: the run waits for a maintainer.
      return false;
    }
  }

  /** The origin and thread index of a new run, committed with it. */
  function indexes(event: TriggerEvent, held: boolean) {
    return (runId: string): Mutation[] => {
      const origin: TriggerOrigin = {
        kind: event.kind,
        repo: event.repo,
        target: {
          number: event.target.number,
          pullRequest: event.target.pullRequest,
          url: event.target.url,
        },
        author: event.author.login,
        held,
      };
      return [
        { kind: "set", key: keys.origin(runId), value: origin },
        {
          kind: "set",
          key: keys.thread(event.repo, event.target.number),
          value: runId,
        },
      ];
    };
  }

  async function threadRun(event: TriggerEvent): Promise<RunRecord | null> {
    const entry = await retryTransient(() =>
      store.kv.get<string>(keys.thread(event.repo, event.target.number))
    );
    return entry.value
      ? await retryTransient(() => store.findRun(entry.value!))
      : null;
  }

  /** `/aos approve` or `/aos reject`: the decision on the thread's waiting run. */
  async function decide(
    ctx: Ctx,
    event: TriggerEvent,
    action: "approve" | "reject",
    reason: string,
  ): Promise<void> {
    const run = await threadRun(event);
    const link = run ? runLink(deps.config.publicUrl, run.id) : "";
    if (!run || run.status !== "AWAITING_APPROVAL") {
      await say(
        ctx,
        event,
        aosComment(
          run
            ? `AOS run ${link} is ${run.status}, not waiting for approval.`
            : "No AOS run of this thread waits for approval.",
        ),
      );
      return;
    }
    if (!(await trusted(ctx, event))) {
      await say(
        ctx,
        event,
        aosComment(
          `@${event.author.login} cannot ${action} AOS run ${link}: only people with write access to this repository can.`,
        ),
      );
      return;
    }
    // A rejection with a reason of a run that ran starts a follow-up (as the
    // API's does); one held before it started just ends.
    const comment = action === "approve"
      ? `Approved by @${event.author.login} on ${event.target.url}`
      : reason && run.started_at !== null
      ? reason
      : null;
    try {
      // A follow-up the rejection starts answers on this thread too, and the
      // thread's `/aos approve` decides it when it waits.
      const { followUp } = await deps.runs.decide(
        run.id,
        { action, comment },
        { extra: indexes(event, false) },
      );
      if (followUp) await created(ctx, event, followUp, false, run.id);
    } catch (error) {
      // Decided in between (another comment, the dashboard): nothing to do.
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** A run (or follow-up) created: say so on the thread. */
  async function created(
    ctx: Ctx,
    event: TriggerEvent,
    run: RunRecord,
    held: boolean,
    followUpOf: string | null,
  ) {
    await say(
      ctx,
      event,
      createdComment({
        link: runLink(deps.config.publicUrl, run.id),
        run,
        held,
        author: event.author.login,
        followUpOf,
      }),
    );
  }

  /** Refused input (defaults, work order, follow-up): the reason goes back to the thread. */
  function refusal(error: unknown): string | null {
    if (error instanceof ValidationError) {
      return error.issues.map((i) => `- \`${i.field}\`: ${i.message}`).join(
        "\n",
      );
    }
    if (error instanceof ConflictError) return error.message;
    return null;
  }

  /** A `/aos` comment or a review on a pull request: a follow-up of the AOS run behind it. */
  async function followUp(ctx: Ctx, event: TriggerEvent, feedback: string) {
    const parentId = RUN_MARKER.exec(event.target.body)?.[1] ?? null;
    const parent = parentId
      ? await retryTransient(() => store.findRun(parentId))
      : null;
    // The marker is in text anyone may write: the run must have opened this very pull request.
    if (!parent || parent.pull_request_url !== event.target.url) {
      deps.log?.(
        `Trigger ${ctx.self.id}: ${event.target.url} is not a pull request AOS opened; ignored`,
      );
      return;
    }
    if (feedback.trim() === "") {
      await say(
        ctx,
        event,
        aosComment(
          "Say what to change after `/aos` (for example `/aos handle the empty list too`).",
        ),
      );
      return;
    }
    if (!TERMINAL_STATUSES.has(parent.status)) {
      await say(
        ctx,
        event,
        aosComment(
          `AOS run ${
            runLink(deps.config.publicUrl, parent.id)
          } is still ${parent.status}; comment again when it has ended.`,
        ),
      );
      return;
    }
    const held = !(await trusted(ctx, event));
    try {
      const { run } = await deps.runs.startFollowUp(parent.id, {
        feedback: `@${event.author.login} on the pull request:\n\n${feedback}`,
      }, {
        idempotencyKey: `aos-trigger:${ctx.self.id}`,
        hold: held,
        extra: indexes(event, held),
      });
      await created(ctx, event, run, held, parent.id);
    } catch (error) {
      const why = refusal(error);
      if (why === null) throw error;
      await say(ctx, event, aosComment(`AOS could not follow up:\n\n${why}`));
    }
  }

  /** A label or `/aos` comment on an issue: a run on `aos/issue-N`. */
  async function issueRun(
    ctx: Ctx,
    event: TriggerEvent,
    instructions: string | null,
  ) {
    const live = await threadRun(event);
    if (live && !TERMINAL_STATUSES.has(live.status)) {
      await say(
        ctx,
        event,
        aosComment(
          `AOS run ${
            runLink(deps.config.publicUrl, live.id)
          } of this issue is still ${live.status}.`,
        ),
      );
      return;
    }
    let text: string | null;
    try {
      text = await readRepoFile({
        repo: event.repo,
        credentials: credentials(),
        path: DEFAULTS_PATH,
        ref: event.defaultBranch,
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted || transientForgeError(error)) throw error;
      const why = error instanceof Error ? error.message : String(error);
      await say(
        ctx,
        event,
        aosComment(`AOS could not read ${DEFAULTS_PATH}: ${why}`),
      );
      return;
    }
    const defaults = readDefaults(text);
    if ("problem" in defaults) {
      await say(
        ctx,
        event,
        aosComment(`AOS did not start a run: ${defaults.problem}`),
      );
      return;
    }
    const held = !(await trusted(ctx, event));
    try {
      const { run } = await deps.runs.submit({
        fields: triggerFields(event, defaults.fields, instructions),
      }, {
        idempotencyKey: `aos-trigger:${ctx.self.id}`,
        hold: held,
        extra: indexes(event, held),
      });
      await created(ctx, event, run, held, null);
    } catch (error) {
      const why = refusal(error);
      if (why === null) throw error;
      await say(
        ctx,
        event,
        aosComment(
          `AOS did not start a run: the work order made from this issue and ${DEFAULTS_PATH} is not valid:\n\n${why}`,
        ),
      );
    }
  }

  return defineActor<null, TriggerMessage>({
    type: ACTOR.trigger,
    messages: triggerMessages,
    initialState: () => null,
    // About an hour of backoff for a forge that is down.
    retry: { maxAttempts: 12, baseDelayMs: 2_000 },
    handlers: {
      async handle(ctx, msg) {
        const event = msg.event;
        const command = event.text === null ? null : parseCommand(event.text);
        if (command?.action === "approve") {
          await decide(ctx, event, "approve", "");
        } else if (command?.action === "reject") {
          await decide(ctx, event, "reject", command.reason);
        } else if (event.target.pullRequest) {
          await followUp(
            ctx,
            event,
            command?.action === "run" ? command.instructions : event.text ?? "",
          );
        } else {
          await issueRun(
            ctx,
            event,
            command?.action === "run" ? command.instructions : null,
          );
        }
        ctx.stop();
      },
    },
  });
}
