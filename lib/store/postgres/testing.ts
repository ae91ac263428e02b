/**
 * Test support: a PostgreSQL to run against. `AOS_TEST_KV=postgres://…`
 * names a server; otherwise scripts/pg_cluster.sh creates a private cluster
 * in a temp dir on a free port, once per test process, stopped when the
 * process ends. Each test gets its own schema.
 */
import { isPostgresUrl } from "./mod.ts";

let server: Promise<string> | null = null;

/** The base URL of a Postgres server tests may create schemas on. */
export function testPostgres(): Promise<string> {
  const named = Deno.env.get("AOS_TEST_KV");
  if (named && isPostgresUrl(named)) return Promise.resolve(named);
  server ??= startCluster();
  return server;
}

/** A URL naming a fresh schema on the test server, and a function that drops it. */
export async function freshSchemaUrl(
  label = "t",
): Promise<{ url: string; drop(): Promise<void> }> {
  const base = await testPostgres();
  const schema = `${label}_${
    crypto.randomUUID().replaceAll("-", "").slice(0, 16)
  }`;
  const url = new URL(base);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    async drop() {
      const { default: postgres } = await import("postgres");
      const sql = postgres(base, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

const script =
  new URL("../../../scripts/pg_cluster.sh", import.meta.url).pathname;

/**
 * Starts (returning its postgres:// URL) or stops the throwaway cluster in
 * `dir` with scripts/pg_cluster.sh; `start` on a stopped cluster brings it
 * back on its port. `durable` turns fsync on (`PG_DURABLE=1`), for benchmarks.
 */
export async function pgCluster(
  action: "start" | "stop",
  dir: string,
  opts: { durable?: boolean } = {},
): Promise<string> {
  const out = await new Deno.Command(script, {
    args: [action, dir],
    ...(opts.durable ? { env: { PG_DURABLE: "1" } } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `pg_cluster.sh ${action} '${dir}' failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Starts the test process's cluster in a temp dir; stops it when the process ends. */
async function startCluster(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "aos_pg_" });
  const url = await pgCluster("start", `${dir}/cluster`);
  // `unload` cannot await: the stop runs synchronously.
  globalThis.addEventListener("unload", () => {
    new Deno.Command(script, {
      args: ["stop", `${dir}/cluster`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    Deno.removeSync(dir, { recursive: true });
  });
  return url;
}
