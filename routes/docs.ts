/**
 * The API's own description: `/openapi.json` and Swagger UI at `/docs`,
 * served from the pinned `swagger-ui-dist` package's files by this process
 * (no CDN: the page works offline and behind a strict firewall). Neither
 * needs the token: the document is public, and Swagger UI's "Authorize"
 * sends the token on the calls that need it (the document says which).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import getSwaggerUiPath from "swagger-ui-dist/absolute-path.js";
import type { AppDeps } from "./deps.ts";
import { BEARER_SCHEME } from "./middleware/auth.ts";
import {
  type RequestPolicy,
  requestPolicy,
} from "./middleware/request_guard.ts";
import {
  runEventByKindJsonSchema,
  workOrderFieldsJsonSchema,
} from "./schemas.ts";

/** Files of swagger-ui-dist the page loads, with their content types. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** The page's own start-up script (a file, so a `script-src 'self'` policy holds). */
const INIT_JS = `window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
  });
});
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>AOS API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * Only this host: any CDN reference would be blocked by the browser.
 * Swagger UI sets inline styles and shows data: images.
 */
const CSP = "default-src 'self'; img-src 'self' data:; " +
  "style-src 'self' 'unsafe-inline'; script-src 'self'";

/** The /openapi.json document and the /docs pages. */
export function docsRoutes(
  deps: AppDeps,
  documented: OpenAPIHono,
): OpenAPIHono {
  const app = new OpenAPIHono();
  const assetDir = getSwaggerUiPath();
  let document: unknown = null;

  app.get("/openapi.json", (c) => {
    document ??= openApiDocument(deps, documented);
    return c.json(document);
  });
  app.get("/docs", (c) => {
    c.header("content-security-policy", CSP);
    return c.html(PAGE);
  });
  app.get("/docs/init.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(INIT_JS);
  });
  // One static route per file (a `/docs/:file` pattern beside `/docs/init.js`
  // would push GET routing off RegExpRouter).
  for (const [file, type] of Object.entries(ASSETS)) {
    let bytes: Uint8Array | null = null;
    app.get(`/docs/${file}`, async (c) => {
      bytes ??= await Deno.readFile(`${assetDir}/${file}`);
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        "content-type": type,
        "cache-control": "public, max-age=86400",
      });
    });
  }
  return app;
}

/** The OpenAPI 3.1 document of every route `documented` carries. */
export function openApiDocument(
  deps: AppDeps,
  documented: OpenAPIHono,
): Record<string, unknown> {
  const registry = documented.openAPIRegistry;
  registry.registerComponent(
    "schemas",
    "WorkOrderFields",
    workOrderFieldsJsonSchema(),
  );
  registry.registerComponent(
    "schemas",
    "RunEventByKind",
    runEventByKindJsonSchema(),
  );
  if (deps.config.apiToken !== null) {
    registry.registerComponent("securitySchemes", BEARER_SCHEME, {
      type: "http",
      scheme: "bearer",
      description: "The service's AOS_API_TOKEN",
    });
  }
  const document = documented.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "AOS — Agent Orchestration Service",
      version: "1.0.0",
      description: "Submit work orders, follow runs, fetch artifacts.",
    },
    // Relative: the document is right for whatever host and port serve it.
    servers: [{ url: "/", description: "This AOS service" }],
    tags: [
      { name: "runs", description: "Submit, list, read and cancel runs" },
      { name: "events", description: "A run's event log, listed or live" },
      { name: "artifacts", description: "Reports and the diff a run leaves" },
      { name: "health", description: "Probes (never behind the token)" },
    ],
  });
  addGuardResponses(document.paths ?? {}, requestPolicy(deps.config));
  return document as unknown as Record<string, unknown>;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };

/**
 * The request guard (middleware/request_guard.ts) answers before any route,
 * so every operation can give its 403 and, while the Host rule is on, its
 * 421: added here once rather than in each route.
 */
function addGuardResponses(
  paths: Record<string, unknown>,
  policy: RequestPolicy,
): void {
  const guard: Record<string, unknown> = {
    403: {
      description:
        "A browser request from another site (Origin or Sec-Fetch-Site); clients that are not browsers send neither",
      content: { "application/json": { schema: ERROR_REF } },
    },
    ...(policy.hosts === null ? {} : {
      421: {
        description:
          "Host is not a name of this service (loopback, an IP address, AOS_PUBLIC_URL's host, AOS_ALLOWED_HOSTS)",
        content: { "application/json": { schema: ERROR_REF } },
      },
    }),
  };
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item as Record<string, unknown>)) {
      const op = operation as { responses?: Record<string, unknown> };
      if (op.responses) op.responses = { ...op.responses, ...guard };
    }
  }
}
