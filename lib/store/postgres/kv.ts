/**
 * `Deno.Kv` on PostgreSQL: the same interface and semantics (key order,
 * versionstamps, atomic checks and limits, KvU64 arithmetic, expiry, queues,
 * watch), so everything written against Deno KV runs on it unchanged while
 * several hosts share one database.
 */
import { PostgresAtomicOperation } from "./atomic.ts";
import { type CommitPlan, planCommit } from "./commit_plan.ts";
import type { PendingEnqueue } from "./commit_plan.ts";
import { ArrayType, connect, type PostgresKvUrl, type Sql } from "./driver.ts";
import { redactUrl } from "../../redact.ts";
import { checkKey, encodeKey } from "./key_codec.ts";
import { keyHash } from "./key_hash.ts";
import { MAX_READ_KEYS } from "./limits.ts";
import { PostgresListIterator } from "./list_iterator.ts";
import { migrate, quoteIdent } from "./migrations.ts";
import { Notifier } from "./notifier.ts";
import { OutageGuard } from "./outage.ts";
import { listenQueue } from "./queue.ts";
import { postgresQueueStore } from "./queue_store.ts";
import { callCommit } from "./commit_call.ts";
import { type KvRow, ROW_COLUMNS, rowEntry } from "./rows.ts";
import { formatVersionstamp } from "./versionstamp.ts";
import { watchKeys } from "./watch.ts";

/** How often expired keys and old commit ids are deleted. */
const SWEEP_MS = 30_000;
/** How long a commit id is remembered for retries after a lost reply. */
const COMMIT_LOG_MS = 10 * 60_000;
/** How often an idle handle checks that the database answers. */
const PING_MS = 1000;

/** Options of `PostgresKv.open`. */
export interface PostgresKvOptions {
  /** Where driver trouble is reported (default: stderr). */
  log?: (line: string) => void;
}

/** A Deno KV backed by a Postgres schema. */
export class PostgresKv implements Deno.Kv {
  readonly #sql: Sql;
  readonly #s: string;
  readonly #lockId: string;
  readonly #notifier: Notifier;
  readonly #guard: OutageGuard;
  readonly #log: (line: string) => void;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #closers = new Set<() => void>();
  #closing: Promise<void> | null = null;
  #resolveClosed!: () => void;
  readonly #closedSignal = new Promise<void>((r) => (this.#resolveClosed = r));
  #queueListening = false;
  #pinging = false;

  private constructor(sql: Sql, schema: string, log: (line: string) => void) {
    this.#sql = sql;
    this.#s = quoteIdent(schema);
    this.#lockId = String(
      BigInt.asIntN(
        64,
        BigInt(`0x${keyHash(new TextEncoder().encode(`kv commit ${schema}`))}`),
      ),
    );
    this.#log = log;
    this.#guard = new OutageGuard(log);
    this.#notifier = new Notifier(sql, `${schema}_kv`, log);
  }

  /** Connects, applies migrations, and starts the sweeper. */
  static async open(
    url: PostgresKvUrl,
    options: PostgresKvOptions = {},
  ): Promise<PostgresKv> {
    const log = options.log ?? ((line: string) => console.error(line));
    const sql = connect(url);
    try {
      await migrate(sql, url.schema);
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw new Error(
        `Opening the Postgres KV at "${redactUrl(url.connection)}" failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    const kv = new PostgresKv(sql, url.schema, log);
    kv.#timers.push(setInterval(() => void kv.#sweep(), SWEEP_MS));
    kv.#timers.push(setInterval(() => void kv.#ping(), PING_MS));
    return kv;
  }

  /** False while the database cannot be reached (calls wait and retry meanwhile). */
  get reachable(): boolean {
    return this.#guard.reachable;
  }

  async get<T = unknown>(key: Deno.KvKey): Promise<Deno.KvEntryMaybe<T>> {
    const [entry] = await this.#getMany([key]);
    return entry as Deno.KvEntryMaybe<T>;
  }

  getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: Deno.KvKey }],
  ): Promise<{ [K in keyof T]: Deno.KvEntryMaybe<T[K]> }> {
    return this.#getMany(keys as readonly Deno.KvKey[]) as Promise<
      { [K in keyof T]: Deno.KvEntryMaybe<T[K]> }
    >;
  }

  async #getMany(
    keys: readonly Deno.KvKey[],
  ): Promise<Deno.KvEntryMaybe<unknown>[]> {
    if (keys.length > MAX_READ_KEYS) {
      throw new TypeError(`Too many ranges (max ${MAX_READ_KEYS})`);
    }
    const encoded = keys.map((key) => {
      const bytes = encodeKey(key);
      checkKey(key, bytes, "read");
      return bytes;
    });
    if (encoded.length === 0) return [];
    const rows = await this.#query(() =>
      this.#sql.unsafe<KvRow[]>(
        `SELECT ${ROW_COLUMNS} FROM ${this.#s}.kv WHERE k = ANY($1::bytea[]) AND (expires_at IS NULL OR expires_at > ${this.#s}.kv_now())`,
        [this.#sql.array(encoded as unknown as string[], ArrayType.bytea)],
        { prepare: true },
      )
    );
    const byKey = new Map(rows.map((row) => [hex(row.k), row]));
    return keys.map((key, i) => {
      const row = byKey.get(hex(encoded[i]!));
      return row
        ? rowEntry(row, key)
        : { key, value: null, versionstamp: null };
    });
  }

  async set(
    key: Deno.KvKey,
    value: unknown,
    options?: { expireIn?: number },
  ): Promise<Deno.KvCommitResult> {
    const result = await this.atomic().set(key, value, options).commit();
    if (!result.ok) {
      throw new Error(`Failed to set value of key ${String(key)}`);
    }
    return result;
  }

  async delete(key: Deno.KvKey): Promise<void> {
    await this.atomic().delete(key).commit();
  }

  list<T = unknown>(
    selector: Deno.KvListSelector,
    options?: Deno.KvListOptions,
  ): Deno.KvListIterator<T> {
    return new PostgresListIterator<T>(
      (start, end, limit, reverse) =>
        this.#query(() =>
          this.#sql.unsafe<KvRow[]>(
            `SELECT ${ROW_COLUMNS} FROM ${this.#s}.kv WHERE k >= $1 AND k < $2 AND (expires_at IS NULL OR expires_at > ${this.#s}.kv_now()) ORDER BY k ${
              reverse ? "DESC" : "ASC"
            } LIMIT $3`,
            [start as unknown as string, end as unknown as string, limit],
            { prepare: true },
          )
        ),
      selector,
      options,
    );
  }

  async enqueue(
    value: unknown,
    options?: {
      delay?: number;
      keysIfUndelivered?: Deno.KvKey[];
      backoffSchedule?: number[];
    },
  ): Promise<Deno.KvCommitResult> {
    const result = await this.atomic().enqueue(value, options).commit();
    if (!result.ok) throw new Error("Failed to enqueue value");
    return result;
  }

  // deno-lint-ignore no-explicit-any -- Deno.Kv's signature
  listenQueue(handler: (value: any) => Promise<void> | void): Promise<void> {
    if (this.#closing) {
      throw new Deno.errors.BadResource("The Postgres KV is closed");
    }
    if (this.#queueListening) {
      throw new TypeError("Already listening to the queue");
    }
    this.#queueListening = true;
    return listenQueue(
      postgresQueueStore({
        sql: this.#sql,
        schema: this.#s,
        query: (op) => this.#query(op),
        commit: (sql, plan) =>
          this.#callCommit(
            sql,
            plan,
            crypto.getRandomValues(new Uint8Array(16)),
          ),
      }),
      this.#notifier,
      handler,
      this.#closedSignal,
      this.#log,
    );
  }

  #callCommit(
    sql: Sql,
    plan: CommitPlan,
    commitId: Uint8Array,
  ): Promise<string | null> {
    return callCommit(
      sql,
      {
        schema: this.#s,
        lockId: this.#lockId,
        channel: this.#notifier.channel,
      },
      plan,
      commitId,
    );
  }

  atomic(): Deno.AtomicOperation {
    return new PostgresAtomicOperation((checks, mutations, enqueues) =>
      this.#commit(checks, mutations, enqueues)
    );
  }

  async #commit(
    checks: readonly Deno.AtomicCheck[],
    mutations: Parameters<typeof planCommit>[1],
    enqueues: readonly PendingEnqueue[],
  ): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    const plan = planCommit(checks, mutations, enqueues);
    // One id for every attempt: a retry after a lost reply is recognised.
    const commitId = crypto.getRandomValues(new Uint8Array(16));
    const vs = await this.#query(() =>
      this.#callCommit(this.#sql, plan, commitId)
    );
    return vs === null
      ? { ok: false }
      : { ok: true, versionstamp: formatVersionstamp(vs) };
  }

  watch<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: Deno.KvKey }],
    options?: { raw?: boolean },
  ): ReadableStream<{ [K in keyof T]: Deno.KvEntryMaybe<T[K]> }> {
    return watchKeys(
      this.#notifier,
      (k) => this.#getMany(k),
      keys as readonly Deno.KvKey[],
      options?.raw ?? false,
      (cancel) => {
        this.#closers.add(cancel);
        return () => this.#closers.delete(cancel);
      },
    ) as unknown as ReadableStream<{ [K in keyof T]: Deno.KvEntryMaybe<T[K]> }>;
  }

  /** Not supported on Postgres: AOS never writes versionstamp placeholders. */
  commitVersionstamp(): symbol {
    throw new TypeError(
      "commitVersionstamp() is not supported by the Postgres KV backend",
    );
  }

  /** Closes the handle: watches end, the queue listener returns, connections are released (see `closed`). */
  close(): void {
    if (this.#closing) return;
    for (const timer of this.#timers) clearInterval(timer);
    this.#guard.close();
    for (const cancel of [...this.#closers]) cancel();
    this.#resolveClosed();
    this.#closing = (async () => {
      await this.#notifier.close();
      await this.#sql.end({ timeout: 5 });
    })().catch((error) =>
      this.#log(`Postgres KV: close failed: ${String(error)}`)
    );
    void this.#closing.then(() => this.#closedFully.resolve());
  }

  readonly #closedFully = Promise.withResolvers<void>();

  /** Resolves once every connection is released after `close()`. */
  get released(): Promise<void> {
    return this.#closedFully.promise;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Runs a query through outages; after `close()` it fails like a closed Deno KV. */
  #query<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(closedError());
    return this.#guard.run(op, closedError);
  }

  async #sweep(): Promise<void> {
    try {
      await this.#sql.unsafe(
        `DELETE FROM ${this.#s}.kv WHERE k IN (SELECT k FROM ${this.#s}.kv WHERE expires_at <= ${this.#s}.kv_now() LIMIT 1000)`,
      );
      await this.#sql.unsafe(
        `DELETE FROM ${this.#s}.kv_commit_log WHERE at < ${this.#s}.kv_now() - ${COMMIT_LOG_MS}`,
      );
    } catch (error) {
      this.#log(`Postgres KV: sweep failed: ${String(error)}`);
    }
  }

  async #ping(): Promise<void> {
    if (this.#pinging || this.#closing) return;
    this.#pinging = true;
    try {
      await this.#guard.run(() => this.#sql`SELECT 1`, closedError);
    } catch {
      // Closed meanwhile.
    } finally {
      this.#pinging = false;
    }
  }
}

function closedError(): Error {
  return new Deno.errors.BadResource("The Postgres KV is closed");
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
