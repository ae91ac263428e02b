/** Routes of one run: page, live sections, events, cancel, revise, approve/reject, artifact downloads. */
import type { Hono } from "hono";
import { ConflictError, ValidationError } from "../../lib/errors.ts";
import { readFormFields } from "../bodies.ts";
import { checkArtifactName } from "../../lib/store/mod.ts";
import { runEventStream } from "./live.ts";
import type { UiContext } from "./context.ts";
import { loadRunPage, type RunPageData } from "./run_data.ts";
import { RunBody, RunPage } from "./run_page.tsx";
import type { UiEnv } from "./session.ts";
import { MAX_COMMENT } from "../approval.ts";
import { parseResumeLimits } from "../resume.ts";

/** Registers the run routes. */
export function runRoutes(ui: Hono<UiEnv>, ctx: UiContext): void {
  async function load(id: string): Promise<RunPageData> {
    const data = await loadRunPage(ctx.store, id);
    // The work order is the user's text; secrets the service knows stay out.
    data.run = {
      ...data.run,
      work_order_md: ctx.redactor.redact(data.run.work_order_md),
    };
    return data;
  }

  ui.get("/ui/runs/:id", async (c) => {
    const data = await load(c.req.param("id"));
    return c.html(
      <RunPage data={data} auth={c.get("auth")} now={Date.now()} />,
    );
  });

  // What the page's script swaps in after an event that changes it.
  ui.get("/ui/runs/:id/body", async (c) => {
    const data = await load(c.req.param("id"));
    return c.html(
      <RunBody data={data} auth={c.get("auth")} now={Date.now()} />,
      200,
      { "cache-control": "no-store" },
    );
  });

  ui.get("/ui/runs/:id/events", async (c) => {
    const id = c.req.param("id");
    await ctx.store.getRun(id);
    const after = c.req.header("last-event-id") || c.req.query("after") ||
      undefined;
    if (after !== undefined && !/^[0-9A-Za-z_-]{1,64}$/.test(after)) {
      return c.json({
        error: {
          code: "bad_request",
          message: `after: '${after.slice(0, 64)}' is not an event seq`,
        },
      }, 400);
    }
    if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
      return runEventStream(c, ctx, id, after);
    }
    return c.json(
      await ctx.store.listEvents(id, after ? { after } : {}),
    );
  });

  ui.post("/ui/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const wantsJson = (c.req.header("accept") ?? "").includes(
      "application/json",
    );
    try {
      const { run } = await ctx.runs.cancel(id);
      if (wantsJson) return c.json({ status: run.status });
    } catch (error) {
      if (!(error instanceof ConflictError) || !wantsJson) throw error;
      return c.json({
        error: { code: "conflict", message: error.message },
      }, 409);
    }
    return c.redirect(`/ui/runs/${id}`, 303);
  });

  // "Request changes": a follow-up run, then its page (post/redirect/get).
  ui.post("/ui/runs/:id/revise", async (c) => {
    const form = await c.req.parseBody();
    const feedback = typeof form.feedback === "string" ? form.feedback : "";
    const raw = typeof form.max_iterations === "string"
      ? form.max_iterations.trim()
      : "";
    let maxIterations: number | undefined;
    if (raw !== "") {
      maxIterations = Number(raw);
      if (
        !Number.isInteger(maxIterations) || maxIterations < 1 ||
        maxIterations > 20
      ) {
        throw new ValidationError([{
          field: "max_iterations",
          message: "Must be an integer from 1 to 20",
        }]);
      }
    }
    const { run } = await ctx.runs.startFollowUp(c.req.param("id"), {
      feedback,
      ...(maxIterations === undefined ? {} : { maxIterations }),
    });
    return c.redirect(`/ui/runs/${run.id}`, 303);
  });

  // The run page's Approve / Reject forms (same-origin + CSRF, checked by the gate).
  for (const action of ["approve", "reject"] as const) {
    ui.post(`/ui/runs/:id/${action}`, async (c) => {
      const id = c.req.param("id");
      const wantsJson = (c.req.header("accept") ?? "").includes(
        "application/json",
      );
      const field = (await readFormFields(c)).get("comment")?.[0];
      const comment = field
        ? new TextDecoder("utf-8", { fatal: false }).decode(field).trim()
        : "";
      if (comment.length > MAX_COMMENT) {
        throw new ValidationError([{
          field: "comment",
          message:
            `Must be at most ${MAX_COMMENT} characters, got ${comment.length}`,
        }]);
      }
      try {
        const { run, followUp } = await ctx.runs.decide(id, {
          action,
          comment: comment || null,
        });
        if (wantsJson) {
          return c.json({
            status: run.status,
            ...(followUp ? { follow_up_run_id: followUp.id } : {}),
          });
        }
        // A commented rejection started a follow-up: show it.
        if (followUp) return c.redirect(`/ui/runs/${followUp.id}`, 303);
      } catch (error) {
        if (!(error instanceof ConflictError) || !wantsJson) throw error;
        return c.json({
          error: { code: "conflict", message: error.message },
        }, 409);
      }
      return c.redirect(`/ui/runs/${id}`, 303);
    });
  }

  // The Resume form of a PAUSED run (same-origin + CSRF, checked by the gate).
  ui.post("/ui/runs/:id/resume", async (c) => {
    const id = c.req.param("id");
    const fields = await readFormFields(c);
    const limits: Record<string, unknown> = {};
    for (
      const name of ["max_total_tokens", "max_cost_usd", "max_wall_time_s"]
    ) {
      const raw = fields.get(name)?.[0];
      const text = raw ? new TextDecoder().decode(raw).trim() : "";
      // A number field left empty keeps that limit; anything else is checked as JSON would be.
      if (text !== "") {
        limits[name] = /^[0-9.eE+-]+$/.test(text) ? Number(text) : text;
      }
    }
    await ctx.runs.resume(id, parseResumeLimits(limits));
    return c.redirect(`/ui/runs/${id}`, 303);
  });

  ui.get("/ui/runs/:id/artifacts/:name", async (c) => {
    const id = c.req.param("id");
    const name = c.req.param("name");
    await ctx.store.getRun(id);
    checkArtifactName(name);
    const { meta, stream } = await ctx.store.streamArtifact(id, name);
    return new Response(stream, {
      headers: {
        "content-type": meta.content_type,
        "content-length": String(meta.bytes),
        // Artifacts hold model and repository text: never rendered as a page here.
        "content-disposition": `attachment; filename="${meta.name}"`,
        "content-security-policy": "sandbox; default-src 'none'",
        "x-content-type-options": "nosniff",
      },
    });
  });
}
