/**
 * The Postgres driver (postgres.js, npm `postgres`) and how a KV URL maps to
 * its options: `postgres://user:password@host:port/db?schema=kv&pool=10`.
 * `schema` (default `kv`) holds the KV's tables, so several stores can share
 * one database; `pool` is the connection pool size per process.
 */
import postgres from "postgres";
import { redactUrl } from "../../redact.ts";

/** A postgres.js client. */
export type Sql = postgres.Sql;

/** Element type ids postgres.js needs for typed array parameters. */
export const ArrayType = {
  bytea: 1001,
  int8: 1016,
  int2: 1005,
  numeric: 1231,
  text: 1009,
} as const;

/** What `openPostgresKv` reads from the URL. */
export interface PostgresKvUrl {
  /** The URL handed to the driver (without the KV's own parameters). */
  connection: string;
  schema: string;
  pool: number;
}

const DEFAULT_POOL = 10;

/** Splits the KV's own parameters (`schema`, `pool`) off a `postgres://` URL. */
export function parseKvUrl(url: string): PostgresKvUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Invalid Postgres KV URL "${redactUrl(url)}"`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new TypeError(
      `Postgres KV URL "${
        redactUrl(url)
      }" must start with postgres:// or postgresql://`,
    );
  }
  const schema = parsed.searchParams.get("schema") ?? "kv";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(
      `Postgres KV schema "${schema}" must be lower-case letters, digits and _ (at most 63)`,
    );
  }
  const poolRaw = parsed.searchParams.get("pool");
  const pool = poolRaw === null ? DEFAULT_POOL : Number(poolRaw);
  if (!Number.isInteger(pool) || pool < 1 || pool > 1000) {
    throw new TypeError(
      `Postgres KV pool size "${poolRaw}" must be an integer from 1 to 1000`,
    );
  }
  parsed.searchParams.delete("schema");
  parsed.searchParams.delete("pool");
  return { connection: parsed.toString(), schema, pool };
}

/** Opens a client pool; connections are made lazily, on first use. */
export function connect(url: PostgresKvUrl): Sql {
  return postgres(url.connection, {
    max: url.pool,
    // Notices (e.g. "schema already exists") are not worth a log line.
    onnotice: () => {},
    // Fail fast when the database is unreachable: readiness probes and
    // retries above decide what to do, not a long hang here.
    connect_timeout: 5,
    idle_timeout: 60,
    // int8 columns come back as strings; we convert them where needed.
    types: {},
  });
}
