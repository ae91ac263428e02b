import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { join } from "node:path";
import { withTempDir, writeFiles } from "./files.ts";

Deno.test("writeFiles() writes nested paths, creating their folders", async () => {
  await withTempDir("aos_files_", async (dir) => {
    await writeFiles(dir, { "a.txt": "a\n", "src/deep/b.py": "b = 1\n" });
    assertEquals(await Deno.readTextFile(join(dir, "a.txt")), "a\n");
    assertEquals(
      await Deno.readTextFile(join(dir, "src/deep/b.py")),
      "b = 1\n",
    );
  });
});

Deno.test("withTempDir() removes the dir after fn, also when fn throws", async () => {
  let kept = "";
  await rejects(
    withTempDir("aos_files_", (dir) => {
      kept = dir;
      return Promise.reject(new Error("boom"));
    }),
    { message: "boom" },
  );
  await rejects(Deno.stat(kept), Deno.errors.NotFound);
});
