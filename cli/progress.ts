/** The one-line live progress display of `submit --wait` on a terminal. */
import type { RunEvent as StoredEvent } from "../lib/store/types.ts";
import { typedEvent } from "../lib/factory/events.ts";

/** Who a model event is about, as the progress line names them. */
const AGENT = { se: "engineer", po: "product owner" } as const;
/** Where a command comes from, as the progress line names it. */
const SOURCE = { setup: "setup", se: "engineer", acceptance: "acceptance" };

/**
 * What the run is doing now, judged from its latest event; an event this
 * build cannot read (a newer kind, an odd payload) is named by its kind.
 */
export function stepOf(stored: StoredEvent): string {
  const event = typedEvent(stored);
  if (!event) return stored.kind.toLowerCase().replaceAll("_", " ");
  switch (event.kind) {
    case "RUN_CREATED":
      return "queued";
    case "RUN_START":
      return "engineer working";
    case "SE_OUTPUT":
      return event.payload.attempt === undefined
        ? "applying changes"
        : `attempt ${event.payload.attempt} done, checking it`;
    case "CMD_RESULT":
      return `ran ${event.payload.command} (exit ${
        event.payload.exit_code ?? "none"
      })`;
    case "TR_APPLY":
      return event.payload.attempt === undefined
        ? "product owner reviewing"
        : `attempt ${event.payload.attempt} ${
          event.payload.ok ? "passed" : "failed"
        } its acceptance commands`;
    case "ATTEMPTS_DROPPED":
      return `dropped attempt${
        event.payload.attempts.length === 1 ? "" : "s"
      } ${event.payload.attempts.join(", ")} (${event.payload.reason})`;
    case "ATTEMPT_PICKED":
      return event.payload.decision === "PASS"
        ? `attempt ${event.payload.attempt} picked, finishing`
        : `continuing from attempt ${event.payload.attempt}`;
    case "PO_RESULT":
      return event.payload.decision === "PASS"
        ? "passed, finishing"
        : "failed review, engineer retrying";
    case "PUSH":
      return `pushed ${event.payload.branch ?? ""}`.trim();
    case "MODEL_PROGRESS": {
      const { agent, phase, elapsed_s, tokens_so_far } = event.payload;
      return phase === "replying"
        ? `${
          AGENT[agent]
        } model replying (${tokens_so_far} tokens, ${elapsed_s} s)`
        : `${AGENT[agent]} model ${phase} (${elapsed_s} s)`;
    }
    case "SE_STEP": {
      const { tool, command, path, ok, reason } = event.payload;
      const what = command ?? path;
      const who = event.payload.attempt === undefined
        ? "engineer"
        : `engineer (attempt ${event.payload.attempt})`;
      return `${who}: ${tool}${what === undefined ? "" : ` ${what}`}${
        ok ? "" : ` (failed: ${reason ?? "error"})`
      }`;
    }
    case "CMD_START":
      return `running ${
        SOURCE[event.payload.source]
      } command: ${event.payload.command}`;
    case "MODEL_RETRY":
      return `model request failed (${event.payload.reason}), attempt ${event.payload.attempt} in ${event.payload.wait_s} s`;
    case "RUN_CANCELLED":
      return "cancelling";
    case "ERROR":
      return `error: ${event.payload.message}`;
    case "RUN_END":
      return event.payload.status;
    default:
      return event.kind.toLowerCase().replaceAll("_", " ");
  }
}

/** `mm:ss`, or `h:mm:ss` past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** Options of `Progress`. */
export interface ProgressOptions {
  maxIterations: number;
  /** Writes raw text to the terminal. */
  write: (text: string) => void;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Terminal width; the line is cut to fit. */
  columns?: number;
}

const CLEAR_LINE = "\r\x1b[2K";

/** Keeps one status line (elapsed, iteration N/max, current step) redrawn in place with `\r`. */
export class Progress {
  readonly #opts: ProgressOptions;
  readonly #now: () => number;
  readonly #startedAt: number;
  #iteration = 0;
  #step = "submitted";
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  /** Takes the iteration and step from `event`. */
  update(event: StoredEvent): void {
    if (typeof event.iteration === "number") this.#iteration = event.iteration;
    this.#step = stepOf(event);
  }

  /** The line as it is drawn now (without control characters). */
  line(): string {
    const iteration = this.#iteration
      ? `iteration ${this.#iteration}/${this.#opts.maxIterations}`
      : `iteration -/${this.#opts.maxIterations}`;
    const text = `⏱ ${
      formatElapsed(this.#now() - this.#startedAt)
    }  ${iteration}  ${this.#step}`
      .replace(/\s*\n\s*/g, " ");
    const columns = this.#opts.columns ?? 80;
    return text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
  }

  /** Redraws the line in place. */
  draw(): void {
    this.#opts.write(`${CLEAR_LINE}${this.line()}`);
  }

  /** Prints `text` as its own line above the progress line. */
  print(text: string): void {
    this.#opts.write(`${CLEAR_LINE}${text}\n`);
    this.draw();
  }

  /** Draws now and then every `intervalMs` so elapsed time keeps moving. */
  start(intervalMs = 1000): void {
    this.draw();
    this.#timer = setInterval(() => this.draw(), intervalMs);
  }

  /** Stops redrawing and clears the line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#opts.write(CLEAR_LINE);
  }
}
