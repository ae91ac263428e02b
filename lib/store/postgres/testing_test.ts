import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects,
} from "node:assert/strict";
import { pgCluster } from "./testing.ts";

async function selectOne(url: string): Promise<number> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 2,
  });
  try {
    const [row] = await sql`SELECT 1 AS one`;
    return row!.one;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

Deno.test("pgCluster() starts a cluster, stops it, and starts it again on the same port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_pg_cluster_" });
  try {
    const url = await pgCluster("start", `${dir}/pg`);
    assert(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/.test(url), url);
    assertEquals(await selectOne(url), 1);
    await pgCluster("stop", `${dir}/pg`);
    await rejects(selectOne(url));
    assertEquals(await pgCluster("start", `${dir}/pg`), url);
    assertEquals(await selectOne(url), 1);
  } finally {
    await pgCluster("stop", `${dir}/pg`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pgCluster() names the action and the directory when the script fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_pg_cluster_" });
  try {
    // A cluster directory below a regular file cannot be created.
    await Deno.writeTextFile(`${dir}/file`, "");
    await rejects(
      pgCluster("start", `${dir}/file/pg`),
      (error: Error) =>
        error.message.startsWith(
          `pg_cluster.sh start '${dir}/file/pg' failed: `,
        ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
