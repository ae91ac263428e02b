/**
 * A run's trace identity: its root span's W3C trace context, kept in the run
 * record, and span ids derived from it for the parts of a run (an iteration,
 * an SE turn) so that any process, before or after a restart, names the same
 * parent without asking anyone.
 */
import { createHash } from "node:crypto";

/** A trace id (32 hex digits) and the run's root span id (16). */
export interface RunTrace {
  traceId: string;
  spanId: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** A new random trace context for a run's root span (`00-<trace>-<span>-01`). */
export function newTraceparent(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `00-${hex.slice(0, 32)}-${hex.slice(32)}-01`;
}

/** The ids in a run's `traceparent`; when absent or malformed (older records), ids derived from the run id. */
export function runTrace(
  run: { id: string; traceparent?: string | undefined },
): RunTrace {
  const match = run.traceparent ? TRACEPARENT.exec(run.traceparent) : null;
  if (match && !/^0+$/.test(match[1]!) && !/^0+$/.test(match[2]!)) {
    return { traceId: match[1]!, spanId: match[2]! };
  }
  const hex = sha256Hex(`aos-run:${run.id}`);
  return { traceId: hex.slice(0, 32), spanId: hex.slice(32, 48) };
}

/** The span id of part `name` of a run's trace (e.g. `iteration/2`, `se/2`): the same in every process. */
export function partSpanId(trace: RunTrace, name: string): string {
  return sha256Hex(`${trace.traceId}:${name}`).slice(0, 16);
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
