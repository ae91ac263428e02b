import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { withTestApp } from "./testing.ts";

Deno.test("GET /healthz and /readyz answer without the token", async () => {
  await withTestApp({ AOS_API_TOKEN: "tok-secret" }, async ({ app }) => {
    assertEquals(await (await app.request("/healthz")).json(), {
      status: "ok",
    });
    assertEquals(await (await app.request("/readyz")).json(), {
      status: "ready",
      checks: {
        kv: "ok",
        runtime: "started",
        // No check has ended yet (this app has none).
        model: {
          ok: null,
          endpoint: "",
          models: [],
          listed: false,
          problems: [],
          checked_at: null,
        },
      },
    });
  });
});

Deno.test("a 401 keeps its help text; unknown routes are a 404 in the error shape", async () => {
  await withTestApp({ AOS_API_TOKEN: "tok-secret" }, async ({ app }) => {
    const res = await app.request("/runs");
    assertEquals(res.status, 401);
    assertEquals(await res.json(), {
      error: {
        code: "unauthorized",
        message:
          "Missing bearer token: send the header 'Authorization: Bearer <AOS_API_TOKEN>'",
      },
    });
    const wrong = await app.request("/runs", {
      headers: { authorization: "Bearer nope" },
    });
    assertEquals(
      (await wrong.json()).error.message,
      "The bearer token is not valid",
    );
    const missing = await app.request("/nowhere");
    assertEquals(missing.status, 404);
    assertEquals((await missing.json()).error.code, "not_found");
  });
});
