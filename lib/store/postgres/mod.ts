/** Deno KV on PostgreSQL (`AOS_KV=postgres://…`): several hosts, one store. */
import { parseKvUrl } from "./driver.ts";
import { PostgresKv, type PostgresKvOptions } from "./kv.ts";

export { PostgresKv, type PostgresKvOptions } from "./kv.ts";
export { parseKvUrl } from "./driver.ts";

/** True for URLs this backend opens. */
export function isPostgresUrl(path: string): boolean {
  return /^postgres(ql)?:\/\//i.test(path);
}

/** Opens (migrating if needed) the KV a `postgres://…?schema=…&pool=…` URL names. */
export function openPostgresKv(
  url: string,
  options?: PostgresKvOptions,
): Promise<PostgresKv> {
  return PostgresKv.open(parseKvUrl(url), options);
}
