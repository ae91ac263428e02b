/** The one place the app opens Deno KV, so the backend could be swapped (DESIGN §1). */
import { isPostgresUrl, openPostgresKv, PostgresKv } from "./postgres/mod.ts";

/**
 * Opens KV at a file path (creating its directory), `:memory:`, a KV Connect
 * URL, or `postgres://…` (the Postgres backend, for several hosts).
 */
export async function openKv(path: string): Promise<Deno.Kv> {
  if (isPostgresUrl(path)) return await openPostgresKv(path);
  if (path === ":memory:" || /^https?:\/\//i.test(path)) {
    return await Deno.openKv(path);
  }
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  return await Deno.openKv(path);
}

/** Closes `kv` and waits until its connections are released (instant for SQLite). */
export async function closeKv(kv: Deno.Kv): Promise<void> {
  kv.close();
  if (kv instanceof PostgresKv) await kv.released;
}

/** False while the backend knows its database is unreachable (readiness). */
export function kvReachable(kv: Deno.Kv): boolean {
  return kv instanceof PostgresKv ? kv.reachable : true;
}

/** True when `path` names a backend whose `watch` sees other processes' writes. */
export function watchCrossesProcesses(path: string): boolean {
  return isPostgresUrl(path) || /^https?:\/\//i.test(path);
}
