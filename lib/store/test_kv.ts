/**
 * Where tests keep KV (tests only): a file in the test's temp dir, or, with
 * `AOS_TEST_KV=postgres://…` in the environment, a fresh schema on that
 * server — so the same suites run on the Postgres backend with one variable.
 */
import { isPostgresUrl } from "./postgres/mod.ts";
import { freshSchemaUrl } from "./postgres/test_cluster.ts";

/** True when the suites run on Postgres. */
export function testsOnPostgres(): boolean {
  return isPostgresUrl(Deno.env.get("AOS_TEST_KV") ?? "");
}

/** A KV path (`AOS_KV` value) for one test, and how to drop what it stored. */
export async function testKvPath(
  dir: string,
  file = "aos.kv",
): Promise<{ path: string; drop(): Promise<void> }> {
  if (!testsOnPostgres()) {
    return { path: `${dir}/${file}`, drop: () => Promise.resolve() };
  }
  const schema = await freshSchemaUrl("test");
  return { path: schema.url, drop: () => schema.drop() };
}
