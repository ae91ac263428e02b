/** `kv.atomic()` on Postgres: buffers checks, mutations and enqueues for one `kv_commit`. */
import type { PendingEnqueue, PendingMutation } from "./commit_plan.ts";
import { MAX_DELAY_MS } from "./limits.ts";
import { encodeValue } from "./value_codec.ts";

/** Commits what an operation buffered. */
export type Committer = (
  checks: readonly Deno.AtomicCheck[],
  mutations: readonly PendingMutation[],
  enqueues: readonly PendingEnqueue[],
) => Promise<Deno.KvCommitResult | Deno.KvCommitError>;

/** An atomic operation, as `Deno.AtomicOperation`. */
export class PostgresAtomicOperation implements Deno.AtomicOperation {
  readonly #checks: Deno.AtomicCheck[] = [];
  readonly #mutations: PendingMutation[] = [];
  readonly #enqueues: PendingEnqueue[] = [];

  constructor(private readonly committer: Committer) {}

  check(...checks: Deno.AtomicCheck[]): this {
    for (const c of checks) {
      this.#checks.push({ key: c.key, versionstamp: c.versionstamp });
    }
    return this;
  }

  mutate(...mutations: Deno.KvMutation[]): this {
    for (const m of mutations) {
      switch (m.type) {
        case "set":
          this.set(
            m.key,
            m.value,
            m.expireIn === undefined ? undefined : { expireIn: m.expireIn },
          );
          break;
        case "delete":
          this.delete(m.key);
          break;
        case "sum":
        case "min":
        case "max":
          if (!(m.value instanceof Deno.KvU64)) {
            throw new TypeError(
              `Invalid mutation '${m.type}' with value: expected a Deno.KvU64`,
            );
          }
          this.#mutations.push({ kind: m.type, key: m.key, value: m.value });
          break;
        default:
          throw new TypeError(
            `Invalid mutation type "${(m as { type: string }).type}"`,
          );
      }
    }
    return this;
  }

  sum(key: Deno.KvKey, n: bigint): this {
    this.#mutations.push({ kind: "sum", key, value: new Deno.KvU64(n) });
    return this;
  }

  min(key: Deno.KvKey, n: bigint): this {
    this.#mutations.push({ kind: "min", key, value: new Deno.KvU64(n) });
    return this;
  }

  max(key: Deno.KvKey, n: bigint): this {
    this.#mutations.push({ kind: "max", key, value: new Deno.KvU64(n) });
    return this;
  }

  set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }): this {
    const expireIn = options?.expireIn;
    if (
      expireIn !== undefined && (!Number.isInteger(expireIn) || expireIn < 0)
    ) {
      throw new TypeError(
        `expireIn must be a non-negative integer: received ${expireIn}`,
      );
    }
    // Deno KV serializes at once: an unclonable value throws here, its size at commit.
    const encoded = encodeValue(value);
    this.#mutations.push(
      expireIn === undefined
        ? { kind: "set", key, value: encoded }
        : { kind: "set", key, value: encoded, expireIn },
    );
    return this;
  }

  delete(key: Deno.KvKey): this {
    this.#mutations.push({ kind: "delete", key });
    return this;
  }

  enqueue(
    value: unknown,
    options?: {
      delay?: number;
      keysIfUndelivered?: Deno.KvKey[];
      backoffSchedule?: number[];
    },
  ): this {
    const delay = options?.delay ?? 0;
    if (!(delay >= 0)) {
      throw new TypeError(`Delay must be >= 0: received ${delay}`);
    }
    if (delay > MAX_DELAY_MS) {
      throw new TypeError(
        `Delay cannot be greater than 30 days: received ${delay}`,
      );
    }
    const backoff = options?.backoffSchedule ?? null;
    if (backoff && backoff.some((ms) => !Number.isInteger(ms) || ms < 0)) {
      throw new TypeError(
        `Invalid backoffSchedule ${
          JSON.stringify(backoff)
        }: expected non-negative integers`,
      );
    }
    this.#enqueues.push({
      value: encodeValue(value),
      delay: Math.floor(delay),
      keysIfUndelivered: options?.keysIfUndelivered ?? [],
      backoffSchedule: backoff,
    });
    return this;
  }

  commit(): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    return this.committer(this.#checks, this.#mutations, this.#enqueues);
  }
}
