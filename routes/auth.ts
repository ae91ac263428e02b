/** Bearer-token auth with a constant-time comparison. */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

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

/** Requires `Authorization: Bearer <token>` when `token` is set, except on `open` paths. */
export function bearerAuth(
  token: string | null,
  open: string[],
): MiddlewareHandler {
  return async (c, next) => {
    if (!token || open.includes(c.req.path)) return await next();
    const header = c.req.header("authorization") ?? "";
    const match = header.match(/^Bearer\s+(.+)$/i);
    if (!match) {
      throw new HttpError(
        401,
        "unauthorized",
        "Missing bearer token: send 'Authorization: Bearer <AOS_API_TOKEN>'",
      );
    }
    if (!(await bearerMatches(header, token))) {
      throw new HttpError(401, "unauthorized", "The bearer token is not valid");
    }
    await next();
  };
}
