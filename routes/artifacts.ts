/** A run's artifacts: list and download (the /runs/{id}/artifacts sub-app). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "./deps.ts";
import { guarded } from "./middleware/auth.ts";
import { checkKeyParams, MAX_ARTIFACT_NAME } from "./middleware/params.ts";
import { ArtifactSchema, errorResponses, json, RunIdParam } from "./schemas.ts";
import { ARTIFACT_KINDS, ARTIFACTS } from "../lib/factory/mod.ts";

/** Routes whose responses (raw bytes) the typed route helper cannot describe. */
// deno-lint-ignore no-explicit-any -- the handler returns a raw Response
type UntypedHandler = any;

const ArtifactParams = RunIdParam.extend({
  name: z.string().min(1).max(MAX_ARTIFACT_NAME).openapi({
    param: { name: "name", in: "path" },
    example: "diff.patch",
  }),
});

/** What the download serves, and every artifact a run stores (from lib/factory/artifacts.ts). */
const ARTIFACTS_DESCRIPTION = [
  "Served with the artifact's own content type (see the list), anything " +
  "not declared below as application/octet-stream. The artifacts a run stores " +
  "(N is the iteration):",
  "",
  ...ARTIFACT_KINDS.map((kind) => {
    const row = ARTIFACTS[kind];
    const name = row.template.replace(
      /\{(\w+)\}/g,
      (_, p: string) => p === "n" ? "N" : p.toUpperCase(),
    );
    return `- \`${name}\` (${row.contentType}): ${row.about}`;
  }),
].join("\n");

/** The artifact routes. */
export function artifactRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const middleware = [...auth.middleware, checkKeyParams];

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/artifacts",
      operationId: "listRunArtifacts",
      tags: ["artifacts"],
      summary: "List a run's artifacts",
      ...auth,
      middleware,
      request: { params: RunIdParam },
      responses: {
        200: json(z.array(ArtifactSchema), "Artifacts"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deps.store.getRun(id);
      return c.json(await deps.store.listArtifacts(id), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/artifacts/{name}",
      operationId: "getRunArtifact",
      tags: ["artifacts"],
      summary: "Download an artifact with its content type",
      description: ARTIFACTS_DESCRIPTION,
      ...auth,
      middleware,
      request: { params: ArtifactParams },
      responses: {
        200: {
          description: "The artifact's bytes",
          content: {
            "application/json": {
              schema: z.record(z.string(), z.unknown()),
            },
            "text/x-diff": { schema: z.string() },
            "application/octet-stream": {
              schema: z.string().openapi({ format: "binary" }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    (async (c: Context) => {
      const id = c.req.param("id")!;
      const name = c.req.param("name")!;
      await deps.store.getRun(id);
      const { meta, body } = await deps.store.getArtifact(id, name);
      return new Response(body as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: {
          "content-type": meta.content_type,
          "content-length": String(body.byteLength),
          "content-disposition": `inline; filename="${meta.name}"`,
        },
      });
    }) as UntypedHandler,
  );
  return app;
}
