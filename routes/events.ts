/** A run's events: as a JSON list, or live as Server-Sent Events until RUN_END. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppDeps } from "./deps.ts";
import { tailEvents } from "./sse_poll.ts";
import { guarded } from "./middleware/auth.ts";
import {
  checkKeyParams,
  checkLength,
  MAX_EVENT_CURSOR,
} from "./middleware/params.ts";
import { errorResponses, json, RunEventSchema, RunIdParam } from "./schemas.ts";

/** Routes whose responses (SSE) the typed route helper cannot describe. */
// deno-lint-ignore no-explicit-any -- the handler returns a raw Response
type UntypedHandler = any;

const POLL_MS = 100;

const EventsQuery = z.object({
  after: z.string().max(MAX_EVENT_CURSOR).optional().openapi({
    description: "Only events after this seq",
  }),
});
const LastEventIdHeader = z.object({
  "last-event-id": z.string().max(MAX_EVENT_CURSOR).optional().openapi({
    param: { name: "last-event-id", in: "header" },
    description: "Resume after this seq (sent by EventSource on reconnect)",
  }),
});

/** The /runs/{id}/events routes. */
export function eventRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const middleware = [...auth.middleware, checkKeyParams];

  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/events",
      operationId: "listRunEvents",
      tags: ["events"],
      summary: "List a run's events",
      description:
        "JSON list, oldest first. Sent `Accept: text/event-stream`, this " +
        "path streams like `/runs/{id}/events/stream` (for EventSource users).",
      ...auth,
      middleware,
      request: { params: RunIdParam, query: EventsQuery },
      responses: {
        200: json(z.array(RunEventSchema), "Events in order"),
        ...errorResponses,
      },
    }),
    (async (c: Context) => {
      const id = c.req.param("id")!;
      const cursor = after(c);
      await deps.store.getRun(id);
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
        return stream(c, id, cursor);
      }
      return c.json(await deps.store.listEvents(id, cursor), 200);
    }) as UntypedHandler,
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/events/stream",
      operationId: "streamRunEvents",
      tags: ["events"],
      summary: "Stream a run's events live (SSE), resuming from Last-Event-ID",
      ...auth,
      middleware,
      request: {
        params: RunIdParam,
        query: EventsQuery,
        headers: LastEventIdHeader,
      },
      responses: {
        200: {
          description:
            "Server-Sent Events: `id: seq`, `event: KIND`, `data: RunEvent` (JSON); closes after RUN_END",
          content: {
            "text/event-stream": {
              schema: z.string().openapi({
                example:
                  'id: 0000000001\nevent: RUN_CREATED\ndata: {"seq":"0000000001",…}\n\n',
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    (async (c: Context) => {
      const id = c.req.param("id")!;
      const cursor = after(c);
      await deps.store.getRun(id);
      return stream(c, id, cursor);
    }) as UntypedHandler,
  );

  function after(c: Context): { after?: string } {
    const header = c.req.header("last-event-id");
    if (header !== undefined) {
      checkLength("last-event-id", header, MAX_EVENT_CURSOR);
    }
    const value = header ?? c.req.query("after");
    return value ? { after: value } : {};
  }

  function stream(c: Context, runId: string, from: { after?: string }) {
    return streamSSE(c, async (sse) => {
      await tailEvents(sse, {
        store: deps.store,
        runId,
        after: from.after,
        signal: deps.shutdownSignal,
        pollMs: POLL_MS,
        send: (event) =>
          sse.writeSSE({
            id: event.seq,
            event: event.kind,
            data: JSON.stringify(event),
          }),
      });
    });
  }
  return app;
}
