/**
 * Where a run's time went, from its event log alone: each iteration's SE, TR
 * and PO phases as [start, end] intervals, plus preparation before the first
 * iteration and the final commit/push after the last. A phase still running
 * ends at `now` and is marked live.
 */
import type { RunEvent } from "../../lib/store/mod.ts";
import type { Usage } from "../../lib/factory/mod.ts";
import { isEventKind, payloadOf } from "../../lib/factory/mod.ts";

/** A stretch of a run's time spent in one station. */
export interface Phase {
  kind: "prepare" | "SE" | "TR" | "PO" | "finalize";
  start: number;
  end: number;
  /** Still running (its end is `now`). */
  live: boolean;
}

/** Tokens and cost the model calls of one iteration used. */
export interface IterationUsage {
  total_tokens: number;
  cost_usd: number;
}

/** One iteration: its phases, model usage and verdict. */
export interface IterationTimeline {
  iteration: number;
  phases: Phase[];
  /** Null when the events carry no usage (runs recorded before they did). */
  usage: IterationUsage | null;
  decision: "PASS" | "FAIL" | null;
  feedback: string | null;
  seSummary: string | null;
}

/** The whole run's timeline. */
export interface Timeline {
  /** When the run started (RUN_START), or null before it did. */
  start: number | null;
  /** RUN_END, or `now` while live. */
  end: number;
  prepare: Phase | null;
  iterations: IterationTimeline[];
  finalize: Phase | null;
}

type Open = { kind: Phase["kind"]; iteration: number | null; start: number };

/** Builds the timeline of `events` (in seq order); `now` closes live phases. */
export function buildTimeline(events: RunEvent[], now: number): Timeline {
  const timeline: Timeline = {
    start: null,
    end: now,
    prepare: null,
    iterations: [],
    finalize: null,
  };
  const byIteration = new Map<number, IterationTimeline>();
  const iteration = (n: number): IterationTimeline => {
    let it = byIteration.get(n);
    if (!it) {
      it = {
        iteration: n,
        phases: [],
        usage: null,
        decision: null,
        feedback: null,
        seSummary: null,
      };
      byIteration.set(n, it);
      timeline.iterations.push(it);
    }
    return it;
  };
  let open: Open | null = null;
  let ended = false;
  // Iterations some event names: the SE phase opened after a FAIL is only a
  // guess until one does (the run may end there, at max_iterations).
  const named = new Set<number>();
  const close = (at: number, live: boolean) => {
    if (!open) return;
    if (
      !live && open.kind === "SE" && open.iteration !== null &&
      open.iteration > 1 && !named.has(open.iteration)
    ) {
      open = null;
      return;
    }
    const phase: Phase = {
      kind: open.kind,
      start: open.start,
      end: Math.max(at, open.start),
      live,
    };
    if (phase.kind === "prepare") timeline.prepare = phase;
    else if (phase.kind === "finalize") timeline.finalize = phase;
    else iteration(open.iteration ?? 1).phases.push(phase);
    open = null;
  };
  const attemptSummaries = new Map<string, string>();
  for (const event of events) {
    // A kind this build does not know (a newer writer's) marks no phase.
    if (!isEventKind(event.kind)) continue;
    const at = Date.parse(event.ts);
    if (!Number.isFinite(at)) continue;
    const n = event.iteration ?? 1;
    if (event.iteration !== null) named.add(event.iteration);
    switch (event.kind) {
      case "RUN_START":
        timeline.start = at;
        open = { kind: "prepare", iteration: null, start: at };
        break;
      case "WORKSPACE_READY":
        close(at, false);
        open = { kind: "SE", iteration: 1, start: at };
        break;
      case "SE_OUTPUT": {
        const output = payloadOf(event, "SE_OUTPUT");
        if (output?.attempt !== undefined) {
          // A best-of-N attempt: the SE phase lasts until the PO has them all.
          addUsage(iteration(n), output.usage);
          attemptSummaries.set(`${n}/${output.attempt}`, output.summary);
          break;
        }
        close(at, false);
        addUsage(iteration(n), output?.usage);
        iteration(n).seSummary = output?.summary ?? null;
        open = { kind: "TR", iteration: n, start: at };
        break;
      }
      case "TR_APPLY":
        if (payloadOf(event, "TR_APPLY")?.attempt !== undefined) break;
        close(at, false);
        open = { kind: "PO", iteration: n, start: at };
        break;
      case "PO_RESULT": {
        close(at, false);
        const it = iteration(n);
        const result = payloadOf(event, "PO_RESULT");
        addUsage(it, result?.usage);
        if (result?.attempt !== undefined) {
          it.seSummary = attemptSummaries.get(`${n}/${result.attempt}`) ??
            it.seSummary;
        }
        it.decision = result?.decision ?? "FAIL";
        it.feedback = result?.feedback ?? null;
        open = it.decision === "PASS"
          ? { kind: "finalize", iteration: null, start: at }
          : { kind: "SE", iteration: n + 1, start: at };
        break;
      }
      case "PUSH":
        close(at, false);
        break;
      case "RUN_END":
        // A phase open at the end was cut short (cancel, failure, deadline).
        close(at, false);
        timeline.end = at;
        ended = true;
        break;
    }
  }
  if (!ended) close(now, true);
  return timeline;
}

function addUsage(it: IterationTimeline, usage: Usage | undefined): void {
  if (!usage) return;
  it.usage = {
    total_tokens: (it.usage?.total_tokens ?? 0) + usage.total_tokens,
    cost_usd: (it.usage?.cost_usd ?? 0) + usage.cost_usd,
  };
}
