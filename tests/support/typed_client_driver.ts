/**
 * A client of the AOS API typed by openapi-typescript from the live
 * `/openapi.json` and driven by openapi-fetch. tests/openapi_test.ts copies
 * this file next to the generated `schema.d.ts` in a temp dir, type-checks
 * it there with `deno check`, then runs it against the real server:
 * `deno run -A driver.ts <url> <token> <work order markdown file>`.
 *
 * In the repository, `./typed_client_schema.d.ts` stands in for the
 * generated file (so `deno check .` has something to resolve); the test
 * replaces it with the real one.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./typed_client_schema.d.ts";

type Run = components["schemas"]["Run"];
type RunEvent = components["schemas"]["RunEvent"];
type Artifact = components["schemas"]["Artifact"];

const [url, token, workOrderPath] = Deno.args;
if (!url || !token || !workOrderPath) {
  throw new Error("usage: driver.ts URL TOKEN WORK_ORDER_FILE");
}
const client = createClient<paths>({
  baseUrl: url,
  headers: { authorization: `Bearer ${token}` },
});

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`typed client: ${what}`);
}

const workOrderMd = await Deno.readTextFile(workOrderPath);
const created = await client.POST("/runs", {
  body: { work_order_md: workOrderMd },
});
check(created.response.status === 201 && created.data, "submit → 201");
const id: string = created.data.id;

let status: string = created.data.status;
for (let i = 0; i < 600 && status !== "SUCCEEDED"; i++) {
  const got = await client.GET("/runs/{id}", { params: { path: { id } } });
  check(got.data, `get run ${id}`);
  status = got.data.status;
  check(status !== "FAILED", `run failed: ${got.data.error}`);
  await new Promise((r) => setTimeout(r, 100));
}
check(status === "SUCCEEDED", `run ended ${status}`);

const list = await client.GET("/runs", {
  params: { query: { limit: 5, offset: 0, status: "SUCCEEDED" } },
});
check(list.data, "list runs");
check(list.data.runs.some((r: Run) => r.id === id), "list shows the run");
const offset: number = list.data.offset;
check(offset === 0, "offset is a number");

const events = await client.GET("/runs/{id}/events", {
  params: { path: { id } },
});
check(
  events.data?.some((e: RunEvent) => e.kind === "RUN_END"),
  "events end in RUN_END",
);

const artifacts = await client.GET("/runs/{id}/artifacts", {
  params: { path: { id } },
});
const names = (artifacts.data ?? []).map((a: Artifact) => a.name);
check(
  names.includes("summary.json") && names.includes("diff.patch"),
  `artifacts ${names}`,
);

const summary = await client.GET("/runs/{id}/artifacts/{name}", {
  params: { path: { id, name: "summary.json" } },
});
check(
  summary.response.headers.get("content-type") === "application/json" &&
    typeof summary.data === "object" && summary.data !== null,
  "summary.json parsed as JSON",
);
const patch = await client.GET("/runs/{id}/artifacts/{name}", {
  params: { path: { id, name: "diff.patch" } },
  parseAs: "text",
});
check(
  typeof patch.data === "string" && patch.data.includes("calculator.py"),
  "diff.patch read as text",
);

// A second run waits on a slow model call: cancel it through the client.
const slow = await client.POST("/runs", {
  body: { work_order_md: workOrderMd },
});
check(slow.data, "second submit");
const slowId = slow.data.id;
for (let i = 0; i < 200; i++) {
  const got = await client.GET("/runs/{id}", {
    params: { path: { id: slowId } },
  });
  if (got.data?.status === "RUNNING") break;
  await new Promise((r) => setTimeout(r, 50));
}
const cancelled = await client.POST("/runs/{id}/cancel", {
  params: { path: { id: slowId } },
});
check(
  cancelled.data && [200, 202].includes(cancelled.response.status),
  `cancel answered ${cancelled.response.status}`,
);
const again = await client.POST("/runs/{id}/cancel", {
  params: { path: { id } },
});
check(
  again.response.status === 409 && again.error?.error.code === "conflict",
  "cancel of a finished run is 409",
);

const missing = await client.GET("/runs/{id}", {
  params: { path: { id: "no-such-run" } },
});
check(
  missing.response.status === 404 && missing.error?.error.code === "not_found",
  "404 typed",
);
console.log(JSON.stringify({ ok: true, id, cancelled: cancelled.data.status }));
