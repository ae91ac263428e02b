/**
 * Test support: a PostgreSQL to run against. `AOS_TEST_KV=postgres://…`
 * names a server; otherwise a private cluster is created in a temp dir (as
 * the `postgres` user when running as root) on a free port, once per test
 * process, and stopped when the process ends. Each test gets its own schema.
 */
import { isPostgresUrl } from "./mod.ts";

const BIN_DIRS = [
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

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

async function startCluster(): Promise<string> {
  const bin = BIN_DIRS.find((dir) => exists(`${dir}/initdb`));
  if (!bin) {
    throw new Error(
      "PostgreSQL is not installed (no initdb under /usr/lib/postgresql): run scripts/install_deps.sh",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "aos_pg_" });
  const asRoot = Deno.uid() === 0;
  if (asRoot) await run("chown", ["postgres", dir]);
  const port = freePort();
  const pgCommand = (tool: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", `${bin}/${tool}`, ...args])
      : run(`${bin}/${tool}`, args);
  await pgCommand("initdb", [
    "-D",
    `${dir}/data`,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
  ]);
  await pgCommand("pg_ctl", [
    "-D",
    `${dir}/data`,
    "-l",
    `${dir}/log`,
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    "start",
  ]);
  globalThis.addEventListener("unload", () => {
    const stop = [
      `${bin}/pg_ctl`,
      "-D",
      `${dir}/data`,
      "-m",
      "immediate",
      "stop",
    ];
    new Deno.Command(asRoot ? "runuser" : stop[0]!, {
      args: asRoot ? ["-u", "postgres", "--", ...stop] : stop.slice(1),
      stdout: "null",
      stderr: "null",
    }).outputSync();
    Deno.removeSync(dir, { recursive: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }${new TextDecoder().decode(out.stdout)}`,
    );
  }
}
