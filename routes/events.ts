/** A run's events: as a JSON list, or live as Server-Sent Events until RUN_END. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunEvent } from "../lib/store/types.ts";
import type { AppDeps } from "./mod.ts";
import { errorResponses, RunEventSchema, RunIdParam } from "./schemas.ts";

/** Routes whose responses (SSE, raw bytes) the typed route helper cannot describe. */
// deno-lint-ignore no-explicit-any -- the handler returns a raw Response
type UntypedHandler = any;

const POLL_MS = 100;
const PING_MS = 15_000;

const EventsQuery = z.object({
  after: z.string().max(64).optional().openapi({
    description: "Only events after this seq",
  }),
});

/** Registers the event routes. */
export function eventRoutes(app: OpenAPIHono, deps: AppDeps): void {
  const sse = {
    description:
      "Server-Sent Events: `id: seq`, `event: KIND`, `data: RunEvent`; closes after RUN_END",
    content: { "text/event-stream": { schema: z.string() } },
  };
  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/events",
      tags: ["events"],
      summary:
        "List a run's events (JSON), or stream them with Accept: text/event-stream",
      request: { params: RunIdParam, query: EventsQuery },
      responses: {
        200: {
          description: "Events in order",
          content: {
            "application/json": { schema: z.array(RunEventSchema) },
            "text/event-stream": sse.content["text/event-stream"],
          },
        },
        ...errorResponses,
      },
    }),
    (async (c: Context) => {
      const id = c.req.param("id")!;
      await deps.store.getRun(id);
      if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
        return stream(c, id);
      }
      return c.json(await deps.store.listEvents(id, after(c)), 200);
    }) as UntypedHandler,
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/runs/{id}/events/stream",
      tags: ["events"],
      summary: "Stream a run's events live (SSE), resuming from Last-Event-ID",
      request: { params: RunIdParam, query: EventsQuery },
      responses: { 200: sse, ...errorResponses },
    }),
    (async (c: Context) => {
      const id = c.req.param("id")!;
      await deps.store.getRun(id);
      return stream(c, id);
    }) as UntypedHandler,
  );

  function after(c: Context): { after?: string } {
    const value = c.req.header("last-event-id") ?? c.req.query("after");
    return value ? { after: value } : {};
  }

  function stream(c: Context, runId: string) {
    let cursor = after(c).after;
    return streamSSE(c, async (sse) => {
      let open = true;
      sse.onAbort(() => {
        open = false;
      });
      const shutdown = deps.shutdownSignal;
      const onShutdown = () => {
        open = false;
      };
      shutdown?.addEventListener("abort", onShutdown);
      let lastPing = Date.now();
      try {
        while (open && !shutdown?.aborted) {
          const events: RunEvent[] = await deps.store.listEvents(
            runId,
            cursor ? { after: cursor } : {},
          );
          for (const event of events) {
            await sse.writeSSE({
              id: event.seq,
              event: event.kind,
              data: JSON.stringify(event),
            });
            cursor = event.seq;
            if (event.kind === "RUN_END") return;
          }
          if (Date.now() - lastPing > PING_MS) {
            await sse.write(": ping\n\n");
            lastPing = Date.now();
          }
          await sse.sleep(POLL_MS);
        }
      } finally {
        shutdown?.removeEventListener("abort", onShutdown);
      }
    });
  }
}
