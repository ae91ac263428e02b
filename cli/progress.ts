/** The one-line live progress display of `submit --wait` on a terminal. */
import type { RunEvent } from "../lib/store/types.ts";

/** What the run is doing now, judged from its latest event. */
export function stepOf(event: RunEvent): string {
  const payload = event.payload ?? {};
  switch (event.kind) {
    case "RUN_CREATED":
      return "queued";
    case "RUN_START":
      return "engineer working";
    case "SE_OUTPUT":
      return "applying changes";
    case "CMD_RESULT":
      return `ran ${String(payload.command ?? "command")} (exit ${
        String(payload.exit_code ?? "?")
      })`;
    case "TR_APPLY":
      return "product owner reviewing";
    case "PO_RESULT":
      return payload.decision === "PASS"
        ? "passed, finishing"
        : "failed review, engineer retrying";
    case "PUSH":
      return `pushed ${String(payload.branch ?? "")}`.trim();
    case "MODEL_PROGRESS": {
      const who = payload.agent === "po" ? "product owner" : "engineer";
      return payload.phase === "replying"
        ? `${who} model replying (${
          String(payload.tokens_so_far ?? 0)
        } tokens, ${String(payload.elapsed_s ?? 0)} s)`
        : `${who} model ${String(payload.phase ?? "working")} (${
          String(payload.elapsed_s ?? 0)
        } s)`;
    }
    case "SE_STEP": {
      const what = payload.command ?? payload.path;
      return `engineer: ${String(payload.tool ?? "tool")}${
        what === undefined ? "" : ` ${String(what)}`
      }${
        payload.ok === false
          ? ` (failed: ${String(payload.reason ?? "error")})`
          : ""
      }`;
    }
    case "CMD_START": {
      const source =
        { setup: "setup", se: "engineer", acceptance: "acceptance" }[
          String(payload.source)
        ] ?? "";
      return `running ${source ? `${source} ` : ""}command: ${
        String(payload.command ?? "")
      }`;
    }
    case "MODEL_RETRY":
      return `model request failed (${
        String(payload.reason ?? "error")
      }), attempt ${String(payload.attempt ?? "?")} in ${
        String(payload.wait_s ?? "?")
      } s`;
    case "RUN_CANCELLED":
      return "cancelling";
    case "ERROR":
      return `error: ${String(payload.message ?? "")}`;
    case "RUN_END":
      return String(payload.status ?? "ended");
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
  update(event: RunEvent): void {
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
