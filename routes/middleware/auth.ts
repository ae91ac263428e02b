/** Bearer-token auth with a constant-time comparison. */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
}

/** Equal-length digests compared without an early exit, so timing reveals nothing. */
export async function tokensEqual(
  given: string,
  expected: string,
): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when an Authorization header carries `token` as its bearer token. */
export async function bearerMatches(
  header: string | null | undefined,
  token: string,
): Promise<boolean> {
  const match = (header ?? "").match(/^Bearer\s+(.+)$/i);
  return match !== null && await tokensEqual(match[1]!.trim(), token);
}

/** The help text of a 401 without a token. */
export const MISSING_TOKEN_MESSAGE =
  "Missing bearer token: send the header 'Authorization: Bearer <AOS_API_TOKEN>'";

/** Requires `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    if (!/^Bearer\s+\S/i.test(header)) {
      throw new HttpError(401, "unauthorized", MISSING_TOKEN_MESSAGE);
    }
    if (!(await bearerMatches(header, token))) {
      throw new HttpError(401, "unauthorized", "The bearer token is not valid");
    }
    await next();
  };
}

/** The OpenAPI name of the bearer scheme. */
export const BEARER_SCHEME = "bearer";

/**
 * What a route that needs the token adds to its `createRoute` config: the
 * auth middleware and the OpenAPI `security` that tells clients (and
 * Swagger UI's "Authorize") to send it. Without AOS_API_TOKEN there is no
 * middleware and the operation says `security: []` (no credentials), so the
 * document never asks for a token the server does not check.
 */
export function guarded(token: string | null): {
  middleware: MiddlewareHandler[];
  security: { [scheme: string]: string[] }[];
} {
  if (token === null) return { middleware: [], security: OPEN };
  return {
    middleware: [bearerAuth(token)],
    security: [{ [BEARER_SCHEME]: [] }],
  };
}

/** The `security` of an operation anyone may call. */
export const OPEN: { [scheme: string]: string[] }[] = [];
