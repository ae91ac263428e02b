/**
 * Bounds on the request values that become parts of KV keys (run ids,
 * artifact names, event cursors): Deno KV refuses keys over 2 KiB with a
 * TypeError, so an overlong value is a 400 here, not a 500 from the store.
 */
import type { MiddlewareHandler } from "hono";
import { badRequest } from "../errors.ts";

/** Longest accepted run id (ids are 36-character UUIDs). */
export const MAX_RUN_ID = 100;
/** Longest accepted artifact name. */
export const MAX_ARTIFACT_NAME = 200;
/** Longest accepted event cursor (`after`, `Last-Event-ID`). */
export const MAX_EVENT_CURSOR = 64;

/** Throws a 400 naming `field` when `value` is over `max` characters. */
export function checkLength(field: string, value: string, max: number): void {
  if (value.length > max) {
    throw badRequest(
      field,
      `Must be at most ${max} characters, got ${value.length}`,
    );
  }
}

/** Middleware for routes with `{id}` (and `{name}`): 400 on values too long to be keys. */
export const checkKeyParams: MiddlewareHandler = async (c, next) => {
  const id = c.req.param("id");
  if (id !== undefined) checkLength("id", id, MAX_RUN_ID);
  const name = c.req.param("name");
  if (name !== undefined) checkLength("name", name, MAX_ARTIFACT_NAME);
  await next();
};
