/** /schedules: runs submitted on a cron schedule (DESIGN §8). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import type { Context } from "hono";
import { ConflictError, ValidationError } from "../lib/errors.ts";
import { newRunId } from "../lib/ids.ts";
import { cronIssues, nextSlot } from "../lib/schedule/mod.ts";
import { MAX_SCHEDULES, type Schedule } from "../lib/store/mod.ts";
import { MAX_WORK_ORDER_BYTES, toFieldIssues } from "../lib/work_order/mod.ts";
import type { AppDeps } from "./deps.ts";
import { parseJsonBody } from "./json_body.ts";
import { guarded } from "./middleware/auth.ts";
import {
  BODIES_IN_FLIGHT,
  BodyBudget,
  limitBody,
} from "./middleware/body_limit.ts";
import { acceptedMediaType } from "./middleware/content_type.ts";
import { checkKeyParams } from "./middleware/params.ts";
import { errorResponses, ErrorSchema, json, RunIdParam } from "./schemas.ts";

const MAX_BODY = MAX_WORK_ORDER_BYTES + 16 * 1024;

/** What POST /schedules takes. */
export const NewScheduleSchema = z.strictObject({
  cron: z.string().openapi({
    description:
      "5 fields (minute hour day month weekday) or 6 with seconds first; croner syntax",
    example: "0 3 * * 1",
  }),
  timezone: z.string().default("UTC").openapi({
    description: "IANA time zone the expression is read in",
    example: "UTC",
  }),
  work_order_md: z.string().openapi({
    description:
      "The work order each firing submits (validated now, as POST /runs would)",
  }),
}).openapi("NewSchedule");

/** A schedule as the API shows it. */
export const ScheduleSchema = z.object({
  id: z.string(),
  cron: z.string(),
  timezone: z.string(),
  work_order_md: z.string(),
  created_at: z.string(),
  next_at: z.string().nullable().openapi({
    description: "The next slot; slots missed while no process ran fire once",
  }),
  last_slot: z.string().nullable(),
  last_run_id: z.string().nullable().openapi({
    description: "The run the last firing started (its record has schedule_id)",
  }),
  skipped: z.number().int().openapi({
    description:
      "Slots skipped because the previous run was still active (SCHEDULE_SKIPPED in that run's log)",
  }),
  last_error: z.string().nullable(),
}).openapi("Schedule");

/** Reads and checks the body: 415/400 for the envelope, 422 naming cron, timezone or the work order's field. */
async function readNewSchedule(
  c: Context,
  deps: AppDeps,
): Promise<Schedule> {
  acceptedMediaType(c.req.header("content-type"), ["application/json"]);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const parsed = NewScheduleSchema.safeParse(parseJsonBody(bytes));
  if (!parsed.success) {
    throw new ValidationError(toFieldIssues(parsed.error.issues));
  }
  const { cron, timezone, work_order_md } = parsed.data;
  const issues = cronIssues(cron.trim(), timezone);
  if (issues.length > 0) throw new ValidationError(issues);
  try {
    await deps.runs.validate({ workOrderMd: work_order_md });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.issues.map((i) => ({
        field: i.field ? `work_order_md.${i.field}` : "work_order_md",
        message: i.message,
      })),
    );
  }
  const now = new Date();
  return {
    id: newRunId(),
    cron: cron.trim(),
    timezone,
    work_order_md,
    created_at: now.toISOString(),
    next_at: nextSlot(cron.trim(), timezone, now)?.toISOString() ?? null,
    last_slot: null,
    last_run_id: null,
    skipped: 0,
    last_error: null,
  };
}

/** The schedule routes. */
export function scheduleRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const auth = guarded(deps.config.apiToken);
  const body = limitBody(
    MAX_BODY,
    new BodyBudget(BODIES_IN_FLIGHT * MAX_BODY),
  );
  const schedules = deps.store.schedules;
  const route = (
    method: "get" | "post" | "delete",
    path: string,
    operationId: string,
    summary: string,
    extra: Record<string, unknown>,
  ) =>
    app.openAPIRegistry.registerPath(createRoute(
      {
        method,
        path,
        operationId,
        tags: ["schedules"],
        summary,
        security: auth.security,
        responses: {},
        ...extra,
      } as Parameters<typeof createRoute>[0],
    ));

  route(
    "post",
    "/schedules",
    "createSchedule",
    "Submit a work order on a cron schedule",
    {
      request: {
        body: {
          content: { "application/json": { schema: NewScheduleSchema } },
          required: true,
        },
      },
      responses: {
        201: json(ScheduleSchema, "The schedule, with its next slot"),
        409: json(ErrorSchema, `Already ${MAX_SCHEDULES} schedules`),
        422: json(
          ErrorSchema,
          "cron, timezone or a work order field is invalid",
        ),
        ...errorResponses,
      },
    },
  );
  app.post("/schedules", every(...auth.middleware, body), async (c) => {
    const schedule = await readNewSchedule(c, deps);
    if (await schedules.count() >= MAX_SCHEDULES) {
      throw new ConflictError(
        `There are already ${MAX_SCHEDULES} schedules; delete one first`,
      );
    }
    await schedules.create(schedule);
    return c.json(schedule, 201);
  });

  route("get", "/schedules", "listSchedules", "All schedules, oldest first", {
    responses: {
      200: json(
        z.object({ schedules: z.array(ScheduleSchema) }),
        "The schedules",
      ),
      ...errorResponses,
    },
  });
  app.get("/schedules", every(...auth.middleware), async (c) =>
    c.json({
      schedules: (await schedules.entries()).map((e) => e.schedule),
    }));

  route("get", "/schedules/{id}", "getSchedule", "One schedule", {
    request: { params: RunIdParam },
    responses: { 200: json(ScheduleSchema, "The schedule"), ...errorResponses },
  });
  app.get(
    "/schedules/:id",
    every(...auth.middleware, checkKeyParams),
    async (c) => c.json(await schedules.get(c.req.param("id"))),
  );

  route(
    "delete",
    "/schedules/{id}",
    "deleteSchedule",
    "Delete a schedule (runs it started are kept)",
    {
      request: { params: RunIdParam },
      responses: {
        200: json(ScheduleSchema, "The deleted schedule"),
        ...errorResponses,
      },
    },
  );
  app.delete(
    "/schedules/:id",
    every(...auth.middleware, checkKeyParams),
    async (c) => c.json(await schedules.delete(c.req.param("id"))),
  );
  return app;
}
