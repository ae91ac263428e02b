/** One mapping from errors to HTTP responses, used by `app.onError`. */
import type { Context } from "hono";
import {
  ConflictError,
  NotFoundError,
  ValidationError,
} from "../lib/errors.ts";

/** An error that already knows its HTTP status and code. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 415 | 422 | 503,
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
  console.error(
    `Unhandled error on ${c.req.method} ${c.req.path}: ${
      redact(String(error))
    }`,
  );
  return c.json(errorBody("internal", "Internal server error"), 500);
}
