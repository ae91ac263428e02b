/**
 * The tables and the commit function of a Postgres KV, created at open:
 * idempotent (every statement is `IF NOT EXISTS` / `OR REPLACE`, recorded
 * per version) and serialized by an advisory lock, so processes starting
 * together on one database do not race.
 */
import type { Sql } from "./driver.ts";

/** Migrations in order; each runs once per schema, in one transaction. */
function migrations(s: string): string[] {
  return [
    `
    CREATE TABLE IF NOT EXISTS ${s}.kv (
      k bytea PRIMARY KEY,
      v bytea NOT NULL,
      enc smallint NOT NULL,
      u numeric(20, 0),
      vs bigint NOT NULL,
      expires_at bigint
    );
    CREATE INDEX IF NOT EXISTS kv_expires_at ON ${s}.kv (expires_at)
      WHERE expires_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS ${s}.kv_version (
      id smallint PRIMARY KEY CHECK (id = 1),
      vs bigint NOT NULL
    );
    INSERT INTO ${s}.kv_version VALUES (1, 0) ON CONFLICT DO NOTHING;
    CREATE TABLE IF NOT EXISTS ${s}.kv_queue (
      id bigserial PRIMARY KEY,
      ready_at bigint NOT NULL,
      locked_until bigint NOT NULL DEFAULT 0,
      attempts integer NOT NULL DEFAULT 0,
      v bytea NOT NULL,
      enc smallint NOT NULL,
      options jsonb NOT NULL
    );
    CREATE INDEX IF NOT EXISTS kv_queue_ready ON ${s}.kv_queue (ready_at);
    CREATE TABLE IF NOT EXISTS ${s}.kv_commit_log (
      id bytea PRIMARY KEY,
      vs bigint NOT NULL,
      at bigint NOT NULL
    );
    CREATE INDEX IF NOT EXISTS kv_commit_log_at ON ${s}.kv_commit_log (at);
    CREATE OR REPLACE FUNCTION ${s}.kv_now() RETURNS bigint
      LANGUAGE sql VOLATILE
      AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
    `,
    commitFunction(s),
  ];
}

/**
 * One atomic commit in one round trip. A transaction-scoped advisory lock
 * serializes commits, so each sees every earlier one (checks are exact) and
 * versionstamps grow in commit order. Checks run before any write; a failed
 * check returns NULL and writes nothing. Mutations arrive folded per key
 * (sets, deletes, one sum/min/max per key) with `seq_*` for the rare key that
 * mixes u64 operations, applied in order. Each commit's id is logged (and
 * pruned after minutes) so a commit retried after a lost reply applies once.
 */
function commitFunction(s: string): string {
  const live = (t: string) =>
    `(${t}.expires_at IS NULL OR ${t}.expires_at > now_ms)`;
  const u64Upsert = (op: number, combine: string) => `
    INSERT INTO ${s}.kv AS kv (k, v, enc, u, vs)
      SELECT m.k, '\\x'::bytea, 3, m.u, new_vs
      FROM unnest(u64_keys, u64_ops, u64_vals) AS m(k, op, u) WHERE m.op = ${op}
      ON CONFLICT (k) DO UPDATE SET
        u = CASE WHEN ${live("kv")} THEN ${combine} ELSE excluded.u END,
        vs = new_vs, expires_at = NULL;`;
  return `
  CREATE OR REPLACE FUNCTION ${s}.kv_commit(
    lock_id bigint, commit_id bytea,
    check_keys bytea[], check_vs bigint[],
    del_keys bytea[],
    set_keys bytea[], set_vals bytea[], set_enc smallint[], set_u numeric[],
    set_expire_in bigint[],
    u64_keys bytea[], u64_ops smallint[], u64_vals numeric[],
    seq_keys bytea[], seq_ops smallint[], seq_vals numeric[],
    q_vals bytea[], q_enc smallint[], q_delay bigint[], q_options text[],
    channel text, payload text
  ) RETURNS bigint LANGUAGE plpgsql AS $fn$
  DECLARE
    new_vs bigint;
    now_ms bigint;
    bad_op smallint;
    i integer;
  BEGIN
    PERFORM pg_advisory_xact_lock(lock_id);
    -- A retry of a commit whose reply was lost returns what it committed.
    SELECT l.vs INTO new_vs FROM ${s}.kv_commit_log l WHERE l.id = commit_id;
    IF FOUND THEN
      RETURN new_vs;
    END IF;
    now_ms := ${s}.kv_now();
    IF cardinality(check_keys) > 0 AND EXISTS (
      SELECT 1 FROM unnest(check_keys, check_vs) AS c(k, vs)
      LEFT JOIN ${s}.kv ON kv.k = c.k AND ${live("kv")}
      WHERE coalesce(kv.vs, -1) <> c.vs
    ) THEN
      RETURN NULL;
    END IF;
    SELECT m.op INTO bad_op
      FROM unnest(u64_keys || seq_keys, u64_ops || seq_ops) AS m(k, op)
      JOIN ${s}.kv ON kv.k = m.k AND ${live("kv")} AND kv.enc <> 3
      LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'non-U64 value' USING ERRCODE = 'KVU64', DETAIL = bad_op::text;
    END IF;
    UPDATE ${s}.kv_version SET vs = vs + 1 WHERE id = 1 RETURNING vs INTO new_vs;
    INSERT INTO ${s}.kv_commit_log VALUES (commit_id, new_vs, now_ms);
    IF cardinality(del_keys) > 0 THEN
      DELETE FROM ${s}.kv WHERE k = ANY(del_keys);
    END IF;
    IF cardinality(set_keys) > 0 THEN
      INSERT INTO ${s}.kv AS kv (k, v, enc, u, vs, expires_at)
        SELECT m.k, m.v, m.enc, CASE WHEN m.enc = 3 THEN m.u END, new_vs,
          CASE WHEN m.x >= 0 THEN now_ms + m.x END
        FROM unnest(set_keys, set_vals, set_enc, set_u, set_expire_in)
          AS m(k, v, enc, u, x)
        ON CONFLICT (k) DO UPDATE SET v = excluded.v, enc = excluded.enc,
          u = excluded.u, vs = new_vs, expires_at = excluded.expires_at;
    END IF;
    IF cardinality(u64_keys) > 0 THEN
      ${u64Upsert(1, "mod(kv.u + excluded.u, 18446744073709551616)")}
      ${u64Upsert(2, "least(kv.u, excluded.u)")}
      ${u64Upsert(3, "greatest(kv.u, excluded.u)")}
    END IF;
    FOR i IN 1 .. coalesce(cardinality(seq_keys), 0) LOOP
      INSERT INTO ${s}.kv AS kv (k, v, enc, u, vs)
        VALUES (seq_keys[i], '\\x'::bytea, 3, seq_vals[i], new_vs)
        ON CONFLICT (k) DO UPDATE SET
          u = CASE WHEN NOT ${live("kv")} THEN excluded.u
                   WHEN seq_ops[i] = 1 THEN mod(kv.u + excluded.u, 18446744073709551616)
                   WHEN seq_ops[i] = 2 THEN least(kv.u, excluded.u)
                   ELSE greatest(kv.u, excluded.u) END,
          vs = new_vs, expires_at = NULL;
    END LOOP;
    IF cardinality(q_vals) > 0 THEN
      INSERT INTO ${s}.kv_queue (ready_at, v, enc, options)
        SELECT now_ms + m.d, m.v, m.enc, m.o::jsonb
        FROM unnest(q_vals, q_enc, q_delay, q_options) AS m(v, enc, d, o);
    END IF;
    IF payload IS NOT NULL THEN
      PERFORM pg_notify(channel, payload);
    END IF;
    RETURN new_vs;
  END
  $fn$;`;
}

/** Applies what is missing of the migrations to `schema`. */
export async function migrate(sql: Sql, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const steps = migrations(s);
  await sql.begin(async (tx) => {
    // One migrator per database at a time; the lock ends with the transaction.
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext('kv migrate'))`);
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${s}.kv_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await tx.unsafe<{ version: number }[]>(
        `SELECT version FROM ${s}.kv_migrations`,
      )).map((r) => r.version),
    );
    for (let version = 1; version <= steps.length; version++) {
      if (done.has(version)) continue;
      await tx.unsafe(steps[version - 1]!);
      await tx.unsafe(
        `INSERT INTO ${s}.kv_migrations (version) VALUES (${version})`,
      );
    }
  });
}

/** Quotes a Postgres identifier (schema names come from the KV URL). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
