/** A run's artifacts: list and download. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "./mod.ts";
import { ArtifactSchema, errorResponses } from "./schemas.ts";

/** Routes whose responses (SSE, raw bytes) the typed route helper cannot describe. */
// deno-lint-ignore no-explicit-any -- the handler returns a raw Response
type UntypedHandler = any;

/** Registers the artifact routes. */
export function artifactRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/artifacts",
      tags: ["artifacts"],
      summary: "List a run's artifacts",
      request: { params: z.object({ id: z.string().min(1) }) },
      responses: {
        200: {
          description: "Artifacts",
          content: { "application/json": { schema: z.array(ArtifactSchema) } },
        },
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
      tags: ["artifacts"],
      summary: "Download an artifact with its content type",
      request: {
        params: z.object({ id: z.string().min(1), name: z.string().min(1) }),
      },
      responses: {
        200: {
          description: "The artifact's bytes",
          content: { "application/octet-stream": { schema: z.string() } },
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
}
