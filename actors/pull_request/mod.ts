/**
 * The pull-request actor: after the push, opens (or, for a re-run of the
 * branch, updates) the pull request through the repository host's forge API
 * and replies `pr_done`. Idempotent under redelivery: the forge is asked for
 * the open pull request of the head branch before anything is created.
 */
import { defineActor } from "../../runtime/mod.ts";
import {
  openOrUpdatePullRequest,
  pullRequestBody,
  pullRequestTitle,
  runMarker,
} from "../../lib/forge/mod.ts";
import { ARTIFACT } from "../../lib/factory/mod.ts";
import { failRunOnDeadLetter, reportingFailure } from "../support/child.ts";
import { station } from "../support/station.ts";
import { ACTOR, type FactoryDeps } from "../support/deps.ts";
import { type PullRequestMessage, pullRequestMessages } from "./messages.ts";

/** The pull-request actor type. */
export function pullRequestActor(deps: FactoryDeps) {
  return defineActor<null, PullRequestMessage>({
    type: ACTOR.pullRequest,
    messages: pullRequestMessages,
    initialState: () => null,
    onDeadLetter: failRunOnDeadLetter(deps, "pull_request"),
    handlers: {
      async open(ctx, msg) {
        const st = station(ctx, deps, { iteration: msg.iteration });
        const { runId } = st;
        await reportingFailure(st, { stage: "pull_request" }, async () => {
          const run = await st.run();
          if (!run) return;
          const { record, workOrder } = run;
          const options = workOrder.pull_request ?? {};
          const report = await st.get(ARTIFACT.toolReport(msg.iteration));
          const verdict = await st.get(ARTIFACT.poReport(msg.iteration));
          const facts = {
            runId,
            runUrl: deps.config.publicUrl
              ? `${deps.config.publicUrl}/ui/runs/${runId}`
              : null,
            title: workOrder.title,
            task: workOrder.task,
            iteration: msg.iteration,
            maxIterations: record.max_iterations,
            commands: report?.commands ?? [],
            verdict,
            extra: options.body ?? null,
          };
          try {
            const outcome = await openOrUpdatePullRequest({
              repo: workOrder.repo,
              credentials: deps.config.gitCredentials,
              spec: {
                head: msg.branch,
                base: options.base ?? workOrder.clone_branch,
                title: options.title ?? pullRequestTitle(facts),
                body: deps.redactor.redactKnown(pullRequestBody(facts)),
                draft: options.draft ?? false,
              },
              marker: runMarker(runId),
              signal: ctx.signal,
            });
            st.reply({ type: "pr_done", ...outcome });
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            const why = error instanceof Error ? error.message : String(error);
            throw new Error(
              `Pushed branch '${msg.branch}', but the pull request failed: ${why}`,
            );
          }
        });
      },
    },
  });
}
