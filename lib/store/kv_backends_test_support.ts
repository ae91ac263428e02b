/**
 * The two KV backends the conformance suite runs against: Deno's own
 * (`Deno.openKv` on a temp SQLite file) and the Postgres backend (a fresh
 * schema on the test server, see postgres/test_cluster.ts).
 */
import { closeKv, openKv } from "./kv.ts";
import { freshSchemaUrl } from "./postgres/test_cluster.ts";

/** An open store and how to dispose of it. */
export interface BackendKv {
  kv: Deno.Kv;
  /** What `openKv` was given (another handle on the same store opens it too). */
  path: string;
  dispose(): Promise<void>;
}

/** A way to open a fresh, empty store. */
export interface Backend {
  name: string;
  open(): Promise<BackendKv>;
}

/** Deno KV on a SQLite file in a temp dir. */
export const denoBackend: Backend = {
  name: "Deno.openKv",
  async open() {
    const dir = await Deno.makeTempDir({ prefix: "aos_conf_" });
    const path = `${dir}/kv.sqlite`;
    const kv = await Deno.openKv(path);
    return {
      kv,
      path,
      async dispose() {
        kv.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  },
};

/** The Postgres backend on a fresh schema. */
export const postgresBackend: Backend = {
  name: "Postgres",
  async open() {
    const schema = await freshSchemaUrl("conf");
    const kv = await openKv(schema.url);
    return {
      kv,
      path: schema.url,
      async dispose() {
        await closeKv(kv);
        await schema.drop();
      },
    };
  },
};

/** Both backends, Deno's first. */
export const backends: Backend[] = [denoBackend, postgresBackend];

/** Runs `fn` on a fresh store of `backend`, disposing of it after. */
export async function withBackend<T>(
  backend: Backend,
  fn: (kv: Deno.Kv, path: string) => Promise<T>,
): Promise<T> {
  const store = await backend.open();
  try {
    return await fn(store.kv, store.path);
  } finally {
    await store.dispose();
  }
}
