/** Rows of the `kv` table as Deno KV entries, and the SQL that reads them. */
import { decodeKey } from "./key_codec.ts";
import { decodeValue } from "./value_codec.ts";
import { formatVersionstamp } from "./versionstamp.ts";

/** A `kv` row as postgres.js returns it. */
export interface KvRow {
  k: Uint8Array;
  v: Uint8Array;
  enc: number;
  u: string | null;
  vs: string;
}

/** Columns every read selects. */
export const ROW_COLUMNS = "k, v, enc, u::text AS u, vs::text AS vs";

/** The entry a row holds. */
export function rowEntry<T>(row: KvRow, key?: Deno.KvKey): Deno.KvEntry<T> {
  return {
    key: key ?? decodeKey(Uint8Array.from(row.k)),
    value: decodeValue(row.enc, row.v, row.u) as T,
    versionstamp: formatVersionstamp(row.vs),
  };
}
