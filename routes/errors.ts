/** One mapping from errors to HTTP responses, used by `app.onError`. */
import type { Context, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Hook } from "@hono/zod-openapi";
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from "../lib/errors.ts";

/** Statuses the API answers errors with. */
export type ErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 409
  | 413
  | 415
  | 421
  | 422
  | 503;

/** An error that already knows its HTTP status and code. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The JSON error body. */
export function errorBody(code: string, message: string, details?: unknown) {
  return {
    error: { code, message, ...(details === undefined ? {} : { details }) },
  };
}

/** A 400 naming the request part and field that broke a rule. */
export function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, "bad_request", `${field}: ${message}`, [
    { field, message },
  ]);
}

/** Turns any thrown error into the API's error JSON; no stack traces, no secrets. */
export function handleError(
  error: Error,
  c: Context,
  redact: (s: string) => string,
) {
  if (error instanceof HttpError) {
    return c.json(
      errorBody(error.code, redact(error.message), error.details),
      error.status,
    );
  }
  if (error instanceof ValidationError) {
    return c.json(
      errorBody(
        "validation_failed",
        redact(error.message),
        error.issues.map((i) => ({ ...i, message: redact(i.message) })),
      ),
      422,
    );
  }
  if (error instanceof NotFoundError) {
    return c.json(errorBody("not_found", redact(error.message)), 404);
  }
  if (error instanceof ConflictError) {
    return c.json(errorBody("conflict", redact(error.message)), 409);
  }
  // Hono's own middleware and helpers signal client errors this way; they
  // keep their status but answer in the one error shape.
  if (error instanceof HTTPException && error.status < 500) {
    return c.json(
      errorBody(codeOf(error.status), redact(error.message || "Bad request")),
      error.status,
    );
  }
  console.error(
    `Unhandled error on ${c.req.method} ${c.req.path}: ${
      redact(String(error))
    }`,
  );
  return c.json(errorBody("internal", "Internal server error"), 500);
}

function codeOf(status: number): string {
  return {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
  }[status] ?? "bad_request";
}

/**
 * The validation hook of every route: a schema failure is a 400 naming the
 * parameter (path, query or header) and the rule it broke.
 */
export const validationHook: Hook<unknown, Env, string, unknown> = (
  result,
  c,
) => {
  if (result.success) return;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.join(".") || result.target,
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  return c.json(
    errorBody("bad_request", `Invalid ${result.target}: ${summary}`, issues),
    400,
  );
};
