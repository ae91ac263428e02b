/** The one `kv_commit` call: a folded plan as typed array parameters, and its errors as Deno KV's. */
import { type CommitPlan, u64OpName } from "./commit_plan.ts";
import { ArrayType, type Sql } from "./driver.ts";

/** Which store a commit goes to. */
export interface CommitTarget {
  /** Quoted schema name. */
  schema: string;
  /** Advisory lock id serializing this store's commits. */
  lockId: string;
  /** NOTIFY channel of this store. */
  channel: string;
}

/** Commits `plan` (once per `commitId`); the new version, or null when a check failed. */
export async function callCommit(
  sql: Sql,
  target: CommitTarget,
  plan: CommitPlan,
  commitId: Uint8Array,
): Promise<string | null> {
  const { bytea, int8, int2, numeric, text } = ArrayType;
  const a = (values: unknown[], type: number) =>
    sql.array(values as string[], type);
  try {
    const [row] = await sql.unsafe<{ vs: string | null }[]>(
      `SELECT ${target.schema}.kv_commit($1, $2, $3::bytea[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[], $8::smallint[], $9::numeric[], $10::bigint[], $11::bytea[], $12::smallint[], $13::numeric[], $14::bytea[], $15::smallint[], $16::numeric[], $17::bytea[], $18::smallint[], $19::bigint[], $20::text[], $21, $22)::text AS vs`,
      [
        target.lockId,
        commitId as unknown as string,
        a(plan.checkKeys, bytea),
        a(plan.checkVs, int8),
        a(plan.delKeys, bytea),
        a(plan.setKeys, bytea),
        a(plan.setVals, bytea),
        a(plan.setEnc, int2),
        a(plan.setU, numeric),
        a(plan.setExpireIn, int8),
        a(plan.u64Keys, bytea),
        a(plan.u64Ops, int2),
        a(plan.u64Vals, numeric),
        a(plan.seqKeys, bytea),
        a(plan.seqOps, int2),
        a(plan.seqVals, numeric),
        a(plan.qVals, bytea),
        a(plan.qEnc, int2),
        a(plan.qDelay, int8),
        a(plan.qOptions.map((o) => JSON.stringify(o)), text),
        target.channel,
        plan.payload,
      ],
      { prepare: true },
    );
    return row?.vs ?? null;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "KVU64") {
      const op = u64OpName(Number((error as { detail?: unknown }).detail));
      throw new TypeError(
        `Failed to perform '${op}' mutation on a non-U64 value in the database`,
      );
    }
    throw error;
  }
}
