import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { FIELD_NAMES } from "../lib/work_order/mod.ts";
import { EVENT_KINDS } from "../lib/factory/mod.ts";
import { withTestApp } from "./testing.ts";

type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; schema: { type?: unknown } }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
};
type Doc = {
  openapi: string;
  servers?: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    securitySchemes?: Record<string, unknown>;
  };
};

async function documentOf(env: Record<string, string>): Promise<Doc> {
  let doc: Doc | null = null;
  await withTestApp(env, async ({ app }) => {
    const res = await app.request("/openapi.json");
    assertEquals(res.status, 200);
    doc = await res.json();
  });
  return doc!;
}

function operations(doc: Doc): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) =>
      [path, method, op] as [
        string,
        string,
        Operation,
      ]
    )
  );
}

Deno.test("openapi.json: operationIds, servers, integer offset, its own stream operation", async () => {
  const doc = await documentOf({});
  assertMatch(doc.openapi, /^3\.1/);
  assert(doc.servers && doc.servers.length > 0);
  const ids = operations(doc).map(([, , op]) => op.operationId);
  assert(ids.every((id) => typeof id === "string"), JSON.stringify(ids));
  assertEquals(new Set(ids).size, ids.length);
  const offset = doc.paths["/runs"]!.get!.parameters!.find((p) =>
    p.name === "offset"
  );
  assertEquals(offset?.schema.type, "integer");
  const events = doc.paths["/runs/{id}/events"]!.get!.responses["200"]!;
  assertEquals(Object.keys(events.content!), ["application/json"]);
  const stream = doc.paths["/runs/{id}/events/stream"]!.get!.responses["200"]!;
  assertEquals(Object.keys(stream.content!), ["text/event-stream"]);
  const artifact = doc.paths["/runs/{id}/artifacts/{name}"]!.get!
    .responses["200"]!;
  assertEquals(Object.keys(artifact.content!).sort(), [
    "application/json",
    "application/octet-stream",
    "text/x-diff",
  ]);
  // No token configured: the document asks for none.
  assert(operations(doc).every(([, , op]) => op.security?.length === 0));
  assertEquals(doc.components.securitySchemes, undefined);
});

Deno.test("openapi.json: every operation documents the guard's 403, and its 421 while the Host rule is on", async () => {
  const open = await documentOf({});
  for (const [path, method, op] of operations(open)) {
    assert(op.responses["403"], `${method} ${path}: no 403`);
    assert(op.responses["421"], `${method} ${path}: no 421`);
  }
  // With a token the Host rule is off (unless AOS_ALLOWED_HOSTS): no 421.
  const token = await documentOf({ AOS_API_TOKEN: "t" });
  for (const [path, method, op] of operations(token)) {
    assert(op.responses["403"], `${method} ${path}: no 403`);
    assertEquals(op.responses["421"], undefined, `${method} ${path}`);
  }
});

Deno.test("openapi.json: WorkOrderFields is the validator's schema (every field, nothing else)", async () => {
  const doc = await documentOf({});
  const fields = doc.components.schemas.WorkOrderFields!;
  assertEquals(
    Object.keys(fields.properties as object).sort(),
    [...FIELD_NAMES].sort(),
  );
  for (
    const limit of [
      "max_tool_steps",
      "max_total_tokens",
      "max_wall_time_s",
      "command_timeout_s",
    ]
  ) {
    assert(limit in (fields.properties as object), limit);
  }
  assertEquals(fields.additionalProperties, false);
  assertEquals((fields.required as string[]).sort(), ["repo", "task"]);
});

Deno.test("openapi.json: RunEventByKind documents every event kind's payload", async () => {
  const doc = await documentOf({});
  const byKind = doc.components.schemas.RunEventByKind!;
  const members = byKind.oneOf as {
    description?: string;
    properties: {
      kind: { const: string };
      payload: { properties: Record<string, unknown> };
    };
  }[];
  assertEquals(members.map((m) => m.properties.kind.const), EVENT_KINDS);
  const push = members.find((m) => m.properties.kind.const === "PUSH")!;
  assertEquals(Object.keys(push.properties.payload.properties).sort(), [
    "branch",
    "commit",
    "pushed",
  ]);
  assertMatch(push.description ?? "", /committed/);
});

Deno.test("with AOS_API_TOKEN: bearer applied to every operation but the probes; document and docs public", async () => {
  await withTestApp({ AOS_API_TOKEN: "tok-secret" }, async ({ app }) => {
    for (const path of ["/openapi.json", "/docs", "/docs/init.js"]) {
      assertEquals((await app.request(path)).status, 200, path);
    }
    const doc: Doc = await (await app.request("/openapi.json")).json();
    assertEquals(Object.keys(doc.components.securitySchemes!), ["bearer"]);
    for (const [path, method, op] of operations(doc)) {
      // Forge deliveries authenticate with their signature instead.
      const open = path === "/healthz" || path === "/readyz" ||
        path === "/triggers/{kind}";
      assertEquals(
        op.security,
        open ? [] : [{ bearer: [] }],
        `${method} ${path}`,
      );
      if (!open) {
        const res = await app.request(path.replace(/\{[^}]+\}/g, "x"), {
          method: method.toUpperCase(),
        });
        assertEquals(res.status, 401, `${method} ${path} without the token`);
      }
    }
  });
});

Deno.test("/docs: Swagger UI from the service's own files (no CDN)", async () => {
  await withTestApp({}, async ({ app }) => {
    const page = await app.request("/docs");
    assertMatch(
      page.headers.get("content-security-policy") ?? "",
      /default-src 'self'/,
    );
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) =>
      m[1]!
    );
    assert(refs.length >= 3, html);
    for (const ref of refs) {
      assert(ref.startsWith("/docs/"), `external reference ${ref}`);
      const asset = await app.request(ref);
      assertEquals(asset.status, 200, ref);
      assert((await asset.arrayBuffer()).byteLength > 0, ref);
    }
    const bundle = await app.request("/docs/swagger-ui-bundle.js");
    assertMatch(bundle.headers.get("content-type")!, /javascript/);
    assertMatch(await bundle.text(), /SwaggerUIBundle/);
    assertMatch(
      await (await app.request("/docs/init.js")).text(),
      /\/openapi\.json/,
    );
  });
});

Deno.test("openapi.json: the routes of issue #23 are documented — revise, approve, reject, and POST /triggers/{kind} with its answers and no bearer scheme", async () => {
  const doc = await documentOf({ AOS_API_TOKEN: "t" });
  for (const action of ["revise", "approve", "reject"]) {
    assert(doc.paths[`/runs/{id}/${action}`]?.post, action);
  }
  const trigger = doc.paths["/triggers/{kind}"]?.post;
  assert(trigger, "POST /triggers/{kind}");
  assertEquals(trigger.operationId, "triggerDelivery");
  assertEquals(trigger.security, []);
  for (const status of ["202", "400", "401", "404", "409", "413", "415"]) {
    assert(trigger.responses[status], `answer ${status}`);
  }
});
