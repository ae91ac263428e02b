/**
 * `deno test --preload` module (the `test` task loads it): with
 * `AOS_TEST_KV=postgres://…`, the runtime's tests open their KV as a fresh
 * schema on that server instead of a SQLite file. The store's and the
 * end-to-end tests read the variable themselves (lib/store/testing.ts).
 */
import { closeKv, openKv } from "../../lib/store/mod.ts";
import { testKvPath, testsOnPostgres } from "../../lib/store/testing.ts";
import { setTestKvOpener } from "../../runtime/testing.ts";

if (testsOnPostgres()) {
  setTestKvOpener(async (dir) => {
    const store = await testKvPath(dir);
    const kv = await openKv(store.path);
    return {
      kv,
      path: store.path,
      dispose: async () => {
        await closeKv(kv);
        await store.drop();
      },
    };
  });
}
