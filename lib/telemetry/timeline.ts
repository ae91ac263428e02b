/**
 * The parts of a run read back from its event log once it ended: setup, each
 * iteration with its SE turn, apply and PO review, then push and pull
 * request. Their times come from the events that open and close them, so
 * they are right whichever process (or restart) did each part.
 */
import type { RunEvent } from "../store/mod.ts";

/** One part of a run: a span of its trace, a duration of its metrics. */
export interface RunPart {
  /** Stable name within the run (`iteration/2`, `se/2`): the span id is derived from it. */
  key: string;
  /** The span's name. */
  name: string;
  /** The enclosing part's key, or null for the run itself. */
  parent: string | null;
  start: number;
  end: number;
  iteration: number | null;
  attributes: Record<string, string | number | boolean>;
}

/** The parts of a run whose log is `events` (in order). */
export function runParts(events: readonly RunEvent[]): RunPart[] {
  const parts: RunPart[] = [];
  const at = (e: RunEvent) => Date.parse(e.ts);
  let runStart: number | null = null;
  /** Where the current iteration and its current stage began. */
  let iteration: { n: number; start: number; stage: number } | null = null;
  /** The iteration that starts once an event of it shows (a FAIL at max_iterations starts none). */
  let next: { n: number; start: number } | null = null;
  let passAt: number | null = null;
  let pushAt: number | null = null;
  const endIteration = (end: number, decision: string) => {
    if (!iteration) return;
    parts.push({
      key: `iteration/${iteration.n}`,
      name: "iteration",
      parent: null,
      start: iteration.start,
      end,
      iteration: iteration.n,
      attributes: { "aos.iteration": iteration.n, "aos.decision": decision },
    });
    iteration = null;
  };
  const stage = (key: string, name: string, end: number) => {
    if (!iteration) return;
    parts.push({
      key: `${key}/${iteration.n}`,
      name,
      parent: `iteration/${iteration.n}`,
      start: iteration.stage,
      end,
      iteration: iteration.n,
      attributes: { "aos.iteration": iteration.n },
    });
    iteration.stage = end;
  };
  /** When each best-of-N attempt's SE turn ended (its check starts there). */
  const attemptTurns = new Map<number, number>();
  const attemptPart = (
    key: string,
    name: string,
    span: { start: number; end: number; attempt: number },
  ) => {
    if (!iteration) return;
    parts.push({
      key,
      name,
      parent: `iteration/${iteration.n}`,
      start: span.start,
      end: span.end,
      iteration: iteration.n,
      attributes: { "aos.iteration": iteration.n, "aos.attempt": span.attempt },
    });
  };
  for (const event of events) {
    const ts = at(event);
    if (!Number.isFinite(ts)) continue;
    const n = event.iteration;
    if (next && n === next.n) {
      iteration = { n, start: next.start, stage: next.start };
      next = null;
    }
    switch (event.kind) {
      case "RUN_START":
        runStart ??= ts;
        break;
      case "WORKSPACE_READY":
        if (runStart !== null) {
          parts.push({
            key: "setup",
            name: "setup",
            parent: null,
            start: runStart,
            end: ts,
            iteration: null,
            attributes: {},
          });
        }
        next = { n: 1, start: ts };
        break;
      case "SE_OUTPUT": {
        if (!iteration || n !== iteration.n) break;
        const k = event.payload.attempt;
        if (typeof k !== "number") {
          stage("se", "se.turn", ts);
          break;
        }
        // A best-of-N attempt: its own turn from the iteration's start.
        attemptTurns.set(k, ts);
        attemptPart(`se/${iteration.n}/attempt-${k}`, "se.turn", {
          start: iteration.start,
          end: ts,
          attempt: k,
        });
        break;
      }
      case "TR_APPLY": {
        if (!iteration || n !== iteration.n) break;
        const k = event.payload.attempt;
        if (typeof k !== "number") {
          stage("apply", "tr.apply", ts);
          break;
        }
        attemptPart(`apply/${iteration.n}/attempt-${k}`, "tr.apply", {
          start: attemptTurns.get(k) ?? iteration.start,
          end: ts,
          attempt: k,
        });
        // The review starts once the last attempt is checked.
        iteration.stage = Math.max(iteration.stage, ts);
        break;
      }
      case "PO_RESULT": {
        if (!iteration || n !== iteration.n) break;
        const decision = event.payload.decision === "PASS" ? "PASS" : "FAIL";
        stage("po", "po.review", ts);
        const following: number = iteration.n + 1;
        endIteration(ts, decision);
        if (decision === "PASS") passAt = ts;
        else next = { n: following, start: ts };
        break;
      }
      case "RUN_APPROVED":
        passAt = ts;
        break;
      case "PUSH":
        if (passAt !== null) {
          parts.push({
            key: "push",
            name: "push",
            parent: null,
            start: passAt,
            end: ts,
            iteration: n,
            attributes: {
              "aos.pushed": event.payload.pushed === true,
            },
          });
        }
        pushAt = ts;
        break;
      case "PR_OPENED":
      case "PR_UPDATED":
        if (pushAt !== null) {
          parts.push({
            key: "pull_request",
            name: "pull_request",
            parent: null,
            start: pushAt,
            end: ts,
            iteration: n,
            attributes: {
              "aos.pull_request.action": event.kind === "PR_OPENED"
                ? "opened"
                : "updated",
            },
          });
        }
        break;
      case "RUN_END":
        // An iteration the run ended inside (failure, cancel, deadline).
        endIteration(ts, "none");
        break;
    }
  }
  return parts;
}
