import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { ValidationError } from "./errors.ts";

const PG = "postgres://aos:s3cret@db.example:5432/aos?schema=kv";

Deno.test("on Deno Deploy a process serves the API only, on a shared Postgres", () => {
  const config = loadConfig({ DENO_DEPLOYMENT_ID: "abc123", AOS_KV: PG });
  assertEquals(config.workers, false);
  assertEquals(config.kvPath, PG);
  // Spelled out, false is fine too; elsewhere workers stay the default.
  assertEquals(
    loadConfig({ DENO_DEPLOYMENT_ID: "abc", AOS_KV: PG, AOS_WORKERS: "false" })
      .workers,
    false,
  );
  assertEquals(loadConfig({ AOS_KV: PG }).workers, true);
});

Deno.test("on Deno Deploy a local KV or AOS_WORKERS=true is refused, naming the variable", () => {
  const issues = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ValidationError) return error.issues;
      throw error;
    }
    throw new Error("loadConfig accepted it");
  };
  assertEquals(issues({ DENO_DEPLOYMENT_ID: "abc" }).map((i) => i.field), [
    "AOS_KV",
  ]);
  const local = issues({ DENO_DEPLOYMENT_ID: "abc", AOS_KV: ":memory:" })[0]!;
  assertEquals(
    local.message,
    "On Deno Deploy AOS_KV must be a postgres:// URL your workers share, got ':memory:'",
  );
  assertEquals(
    issues({ DENO_DEPLOYMENT_ID: "abc", AOS_KV: PG, AOS_WORKERS: "true" })
      .map((i) => i.field),
    ["AOS_WORKERS"],
  );
  // A KV Connect URL is not reachable as Deploy's own KV either: refused.
  throws(
    () =>
      loadConfig({
        DENO_DEPLOYMENT_ID: "abc",
        AOS_KV: "https://kv.example/connect",
      }),
    ValidationError,
  );
});
