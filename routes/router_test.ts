import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
} from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import type { RunService } from "../actors/run/service.ts";
import { Redactor } from "../lib/redact.ts";
import { RunStore } from "../lib/store/mod.ts";
import { createApp } from "./mod.ts";
import { ReadWriteRouter } from "./router.ts";

Deno.test("ReadWriteRouter: GET and other methods match separately; ALL routes reach both", () => {
  const router = new ReadWriteRouter<string>();
  router.add("ALL", "*", "mw");
  router.add("GET", "/runs/:id", "get");
  router.add("POST", "/runs/submit", "submit");
  router.add("POST", "/runs/:id/cancel", "cancel");
  const handlers = (method: string, path: string) =>
    router.match(method, path)[0].map(([h]) => h);
  assertEquals(handlers("GET", "/runs/abc"), ["mw", "get"]);
  assertEquals(handlers("POST", "/runs/submit"), ["mw", "submit"]);
  assertEquals(handlers("POST", "/runs/abc/cancel"), ["mw", "cancel"]);
  assertEquals(handlers("GET", "/runs/abc/cancel"), ["mw"]);
  assertEquals(handlers("DELETE", "/runs/abc"), ["mw"]);
  // The write routes above would push a single SmartRouter onto TrieRouter.
  assertMatch(router.name, /^ReadWriteRouter\(SmartRouter \+ RegExpRouter, /);
});

Deno.test("the API's GET routes stay on RegExpRouter, with and without auth", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (const token of [undefined, "secret"]) {
      const app = createApp({
        config: loadConfig(token ? { AOS_API_TOKEN: token } : {}),
        store: new RunStore(kv),
        runs: {} as RunService,
        redactor: new Redactor([token]),
        isReady: () => true,
      });
      const res = await app.request("/healthz");
      assertEquals(res.status, 200);
      const head = await app.request("/runs/none", { method: "HEAD" });
      assertEquals(head.status, token ? 401 : 404);
      assertMatch(
        app.router.name,
        /^ReadWriteRouter\(SmartRouter \+ RegExpRouter, /,
      );
    }
  } finally {
    kv.close();
  }
});
