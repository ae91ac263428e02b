/**
 * One LISTEN connection per KV handle, opened on first use: every commit
 * NOTIFYs the schema's channel with the hashes of the keys it wrote (or `*`)
 * and a `q` flag when it enqueued, so watchers and queue listeners in other
 * processes wake within milliseconds. After a (re)connect subscribers get
 * `"*"`: anything may have changed while nobody was listening.
 */
import type { Sql } from "./driver.ts";

/** What a commit notification says. */
export interface Notice {
  /** Hashes of written keys, or null for "anything may have changed". */
  keys: Set<string> | null;
  enqueued: boolean;
}

/** A parsed payload (`-h1,h2`, `q*`, …). */
export function parseNotice(payload: string): Notice {
  const enqueued = payload.startsWith("q") || payload === "*";
  const body = payload.slice(1);
  if (payload === "*" || body === "*") return { keys: null, enqueued };
  return { keys: new Set(body === "" ? [] : body.split(",")), enqueued };
}

/** Fans one channel's notifications out to subscribers. */
export class Notifier {
  #subscribers = new Set<(notice: Notice) => void>();
  #listening: Promise<{ unlisten(): Promise<void> }> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(
    private readonly sql: Sql,
    readonly channel: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Calls `fn` for each notification until the returned function is called. */
  subscribe(fn: (notice: Notice) => void): () => void {
    this.#subscribers.add(fn);
    this.#listen();
    return () => this.#subscribers.delete(fn);
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#subscribers.clear();
    const listening = this.#listening;
    this.#listening = null;
    if (listening) await listening.then((l) => l.unlisten()).catch(() => {});
  }

  #listen(): void {
    if (this.#listening || this.#closed) return;
    this.#listening = this.sql.listen(
      this.channel,
      (payload) => this.#emit(parseNotice(payload)),
      () => this.#emit({ keys: null, enqueued: true }),
    );
    this.#listening.catch((error) => {
      this.log(`Postgres KV: LISTEN failed, retrying: ${String(error)}`);
      this.#listening = null;
      // Until LISTEN works again, subscribers live on their polling backstop.
      this.#retry = setTimeout(() => {
        this.#retry = null;
        if (this.#subscribers.size > 0) this.#listen();
      }, 1000);
    });
  }

  #emit(notice: Notice): void {
    for (const fn of this.#subscribers) {
      try {
        fn(notice);
      } catch (error) {
        this.log(
          `Postgres KV: notification subscriber threw: ${String(error)}`,
        );
      }
    }
  }
}
