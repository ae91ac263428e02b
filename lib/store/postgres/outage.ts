/**
 * Riding out a database outage: a call that fails because Postgres cannot be
 * reached (connection refused or lost, server shutting down or starting) is
 * retried with backoff until the database answers again or the KV is closed,
 * so workers pause instead of failing runs. Commits are safe to retry: each
 * carries an id `kv_commit` remembers. `reachable` turns false on the first
 * such failure and true on the next success (readiness probes read it).
 */

/** SQLSTATEs and driver codes that mean "the database is not there right now". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovering)
  "53300", // too_many_connections
]);

/** True for failures that go away when the database is back. */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return UNREACHABLE_CODES.has(code) || code.startsWith("08");
}

/** Longest wait between retries. */
const MAX_BACKOFF_MS = 2000;

/** Tracks reachability and retries calls through outages. */
export class OutageGuard {
  reachable = true;
  #closed = false;
  #wakers = new Set<() => void>();

  constructor(private readonly log: (line: string) => void) {}

  /** Stops retrying: waiting calls fail with `closedError()`. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#wakers) wake();
  }

  /** Runs `op`, retrying while the database is unreachable. */
  async run<T>(op: () => Promise<T>, closedError: () => Error): Promise<T> {
    for (let attempt = 0;; attempt++) {
      if (this.#closed) throw closedError();
      try {
        const result = await op();
        if (!this.reachable) {
          this.reachable = true;
          this.log("Postgres KV: database reachable again");
        }
        return result;
      } catch (error) {
        if (!isUnreachable(error) || this.#closed) throw error;
        if (this.reachable) {
          this.reachable = false;
          this.log(
            `Postgres KV: database unreachable (${
              describe(error)
            }); retrying until it answers`,
          );
        }
        await this.#sleep(
          Math.min(MAX_BACKOFF_MS, 25 * 2 ** Math.min(attempt, 7)) *
            (0.5 + Math.random() / 2),
        );
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }
}

/** A driver error's code and message, without connection details. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string"
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
