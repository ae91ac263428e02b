/**
 * Content-Type checks of the routes that take a body. The header is parsed
 * once, strictly, here: a type the route does not take is a 415, and so is a
 * header whose parameters are malformed (`application/json;`,
 * `multipart/form-data; boundary=`), so no body parser further down meets a
 * header it cannot use.
 */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "../errors.ts";

/** A parsed Content-Type header. */
export interface MediaType {
  /** `type/subtype`, lower case. */
  type: string;
  /** Parameters by lower-case name, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses a Content-Type value (RFC 9110 §8.3.1); throws a 415 naming what is malformed. */
export function parseMediaType(header: string): MediaType {
  const [essence = "", ...rest] = splitParams(header);
  const [type, subtype, extra] = essence.trim().split("/");
  if (
    type === undefined || subtype === undefined || extra !== undefined ||
    !TOKEN.test(type) || !TOKEN.test(subtype)
  ) {
    throw malformed(header, "it is not of the form type/subtype");
  }
  const params: Record<string, string> = {};
  for (const raw of rest) {
    const param = raw.trim();
    if (param === "") throw malformed(header, "a ';' is followed by nothing");
    const eq = param.indexOf("=");
    const name = param.slice(0, eq).trim().toLowerCase();
    let value = eq === -1 ? "" : param.slice(eq + 1).trim();
    if (eq === -1 || !TOKEN.test(name)) {
      throw malformed(header, `parameter '${param}' is not name=value`);
    }
    if (value.startsWith('"')) {
      if (value.length < 2 || !value.endsWith('"')) {
        throw malformed(header, `parameter '${name}' has an unclosed quote`);
      }
      value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    if (value === "") {
      throw malformed(header, `parameter '${name}' has an empty value`);
    }
    if (name in params) {
      throw malformed(header, `parameter '${name}' is given twice`);
    }
    params[name] = value;
  }
  return { type: `${type}/${subtype}`.toLowerCase(), params };
}

/** Splits at `;` outside quoted strings. */
function splitParams(header: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i]!;
    if (quoted && ch === "\\") {
      current += ch + (header[++i] ?? "");
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ";" && !quoted) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function malformed(header: string, why: string): HttpError {
  return new HttpError(
    415,
    "unsupported_media_type",
    `Content-Type ${JSON.stringify(header.slice(0, 200))} is malformed: ${why}`,
  );
}

/** What each accepted type additionally requires of its parameters. */
const PARAM_RULES: Record<string, (media: MediaType) => string | null> = {
  "application/json": (m) =>
    m.params.charset !== undefined && m.params.charset.toLowerCase() !== "utf-8"
      ? `charset '${m.params.charset}' is not accepted (JSON is UTF-8)`
      : null,
  "multipart/form-data": (m) => {
    const boundary = m.params.boundary;
    if (boundary === undefined) return "the boundary parameter is missing";
    // RFC 2046 §5.1.1: 1 to 70 characters.
    return boundary.length > 70
      ? `the boundary is ${boundary.length} characters (at most 70)`
      : null;
  },
};

/** The parsed Content-Type of a request, or a 415 unless it is one of `accepted`. */
export function acceptedMediaType(
  header: string | undefined,
  accepted: readonly string[],
): MediaType {
  const use = `use ${accepted.join(" or ")}`;
  if (header === undefined || header.trim() === "") {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Content-Type is missing; ${use}`,
    );
  }
  const media = parseMediaType(header);
  if (!accepted.includes(media.type)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Content-Type '${media.type}' is not accepted; ${use}`,
    );
  }
  const problem = PARAM_RULES[media.type]?.(media) ?? null;
  if (problem !== null) throw malformed(header, problem);
  return media;
}

/** Middleware: 415 unless the request's Content-Type is one of `accepted`. */
export function requireContentType(
  accepted: readonly string[],
): MiddlewareHandler {
  return async (c, next) => {
    acceptedMediaType(c.req.header("content-type"), accepted);
    await next();
  };
}
