import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { createRun, sampleRun } from "../lib/store/testing.ts";
import { errorOf, withTestApp } from "./testing.ts";

Deno.test("GET /runs/{id}/artifacts[/{name}]: list, and each artifact with its own content type", async () => {
  await withTestApp({}, async ({ app, store }) => {
    const run = await createRun(store, sampleRun());
    await store.putArtifact(
      run.id,
      "summary.json",
      '{"ok":true}\n',
      "application/json",
    );
    await store.putArtifact(
      run.id,
      "diff.patch",
      "--- a\n+++ b\n",
      "text/x-diff",
    );
    const list = await (await app.request(`/runs/${run.id}/artifacts`)).json();
    assertEquals(
      list.map((a: { name: string }) => a.name).sort(),
      ["diff.patch", "summary.json"],
    );
    const summary = await app.request(`/runs/${run.id}/artifacts/summary.json`);
    assertEquals(summary.headers.get("content-type"), "application/json");
    assertEquals(await summary.json(), { ok: true });
    const diff = await app.request(`/runs/${run.id}/artifacts/diff.patch`);
    assertEquals(diff.headers.get("content-type"), "text/x-diff");
    assertMatch(await diff.text(), /^--- a/);
    const missing = await errorOf(
      await app.request(`/runs/${run.id}/artifacts/none.json`),
    );
    assertEquals(missing.status, 404);
    assertEquals((await app.request("/runs/none/artifacts")).status, 404);
  });
});
