/**
 * The SQL behind the queue listener (queue.ts): claiming due messages with
 * `FOR UPDATE SKIP LOCKED`, settling them, and delivering `keysIfUndelivered`.
 */
import { type CommitPlan, emptyPlan, fromLatin1 } from "./commit_plan.ts";
import type { Sql } from "./driver.ts";
import { keyHash } from "./key_hash.ts";
import type { QueueRow, QueueStore } from "./queue.ts";

/** What the queue SQL needs from the KV. */
export interface QueueContext {
  sql: Sql;
  /** Quoted schema name. */
  schema: string;
  /** Runs a call through outages (the KV's retry policy). */
  query<T>(op: () => Promise<T>): Promise<T>;
  /** Commits a plan inside `sql` (a transaction). */
  commit(sql: Sql, plan: CommitPlan): Promise<string | null>;
}

/** The queue operations on the schema's `kv_queue` table. */
export function postgresQueueStore(ctx: QueueContext): QueueStore {
  const { sql, schema: s, query } = ctx;
  return {
    claim: (n, leaseMs) =>
      query(() =>
        sql.unsafe<QueueRow[]>(
          `UPDATE ${s}.kv_queue q SET locked_until = ${s}.kv_now() + $2, attempts = q.attempts + 1
           WHERE q.id IN (SELECT id FROM ${s}.kv_queue WHERE ready_at <= ${s}.kv_now() AND locked_until <= ${s}.kv_now()
             ORDER BY ready_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING q.id::text AS id, q.v, q.enc, q.attempts, q.options`,
          [n, leaseMs],
          { prepare: true },
        )
      ),
    nextDueIn: async () => {
      const [row] = await query(() =>
        sql.unsafe<{ wait: string | null }[]>(
          `SELECT (min(greatest(ready_at, locked_until)) - ${s}.kv_now())::text AS wait FROM ${s}.kv_queue`,
          [],
          { prepare: true },
        )
      );
      return row?.wait == null ? null : Number(row.wait);
    },
    finish: async (id) => {
      await query(() =>
        sql.unsafe(`DELETE FROM ${s}.kv_queue WHERE id = $1`, [id], {
          prepare: true,
        })
      );
    },
    retry: async (id, delayMs) => {
      await query(() =>
        sql.unsafe(
          `UPDATE ${s}.kv_queue SET ready_at = ${s}.kv_now() + $2, locked_until = 0 WHERE id = $1`,
          [id, delayMs],
          { prepare: true },
        )
      );
    },
    deadLetter: (row) => deadLetter(ctx, row),
  };
}

/** Sets the message's `keysIfUndelivered` to its value and removes it, in one transaction. */
async function deadLetter(ctx: QueueContext, row: QueueRow): Promise<void> {
  const keys = row.options.keys.map((k) => fromLatin1(atob(k)));
  await ctx.query(() =>
    ctx.sql.begin(async (tx) => {
      if (keys.length > 0) {
        const plan = emptyPlan();
        for (const k of keys) {
          plan.setKeys.push(k);
          plan.setVals.push(Uint8Array.from(row.v));
          plan.setEnc.push(row.enc);
          plan.setU.push("0");
          plan.setExpireIn.push("-1");
        }
        plan.payload = "-" + keys.map(keyHash).join(",");
        await ctx.commit(tx as unknown as Sql, plan);
      }
      await tx.unsafe(`DELETE FROM ${ctx.schema}.kv_queue WHERE id = $1`, [
        row.id,
      ]);
    })
  );
}
