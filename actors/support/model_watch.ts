/**
 * What a watcher sees while an agent's model call is in flight: each retry
 * (an event and a log line as it happens) and a heartbeat with the reply's
 * progress. These are written to the run's log at once, outside the step's
 * commit, because the step may take minutes (a CPU model) and a refused
 * connection must not look like silence.
 */
import type { ModelObserver } from "../../lib/llm/mod.ts";
import { liveEvents } from "./live_event.ts";
import type { Agent } from "./agent_step.ts";
import type { FactoryDeps } from "./deps.ts";

/** A request's phase as the event says it. */
const PHASES = {
  waiting: "waiting for the server",
  prompt: "reading the prompt",
  replying: "replying",
} as const;

/**
 * Which heartbeats of one attempt become events: the first three, then every
 * second one up to the twelfth, then every sixth (at the default 10 s: each
 * 10 s for half a minute, each 20 s to two minutes, then each minute), so a
 * CPU model's ten-minute reply leaves a readable log, not sixty lines.
 */
export function keepHeartbeat(n: number): boolean {
  return n <= 3 || (n <= 12 && n % 2 === 0) || n % 6 === 0;
}

/** The observer of one agent's model calls in one iteration of a run. */
export function modelObserver(
  deps: FactoryDeps,
  where: { runId: string; agent: Agent; iteration: number; model: string },
): ModelObserver {
  const { runId, agent, iteration, model } = where;
  const append = liveEvents(deps, runId);
  // Heartbeats of the current attempt, and the phase last written.
  let beats = 0;
  let attempt = 0;
  let phase = "";
  return {
    retry(info) {
      const waitS = Math.round(info.waitMs / 100) / 10;
      append({
        kind: "MODEL_RETRY",
        level: "WARN",
        iteration,
        payload: {
          agent,
          model,
          attempt: info.attempt,
          wait_s: waitS,
          reason: info.reason,
          ...(info.endpoint ? { endpoint: info.endpoint } : {}),
        },
      });
      deps.log?.(deps.redactor.redact(
        `MODEL_RETRY run=${runId} agent=${agent} iter=${iteration} attempt=${info.attempt} wait=${waitS}s${
          info.endpoint ? ` endpoint=${info.endpoint}` : ""
        } reason=${JSON.stringify(info.reason)}`,
      ));
    },
    progress(info) {
      if (info.attempt !== attempt) {
        attempt = info.attempt;
        beats = 0;
        phase = "";
      }
      beats++;
      // A change of phase (the reply begins) is always shown.
      if (!keepHeartbeat(beats) && info.phase === phase) return;
      phase = info.phase;
      append({
        kind: "MODEL_PROGRESS",
        level: "INFO",
        iteration,
        payload: {
          agent,
          model,
          attempt: info.attempt,
          elapsed_s: Math.round(info.elapsedMs / 1000),
          phase: PHASES[info.phase],
          tokens_so_far: info.tokens,
        },
      });
    },
  };
}
