/** The request body size limit (AOS_MAX_BODY_BYTES) of the routes that take a body. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError } from "../errors.ts";

/** Middleware: 413 once a body is over `maxBytes`, before it is parsed. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpError(
        413,
        "payload_too_large",
        `Request body is over the ${maxBytes}-byte limit (AOS_MAX_BODY_BYTES)`,
      );
    },
  });
}
