/**
 * Reading a proxy request's head from a client: `CONNECT host:port` or an
 * absolute-form `METHOD http://host[:port]/path`. Bounded in size and time,
 * since the client is the sandboxed command.
 */

/** Longest request head read (request line and headers). */
const MAX_HEAD_BYTES = 16 * 1024;
/** How long a client may take to send its head. */
const HEAD_TIMEOUT_MS = 10_000;

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The target host, lower case, IPv6 without brackets. */
  host: string;
  port: number;
  /** For a forwarded request: its head rewritten for the origin server (origin-form, `connection: close`). */
  forward: string;
  /** Bytes read past the head (the start of a body, or of the TLS handshake). */
  rest: Uint8Array;
}

/** Reads and parses the head; throws with a reason for the client on anything else. */
export async function readHead(conn: Deno.Conn): Promise<RequestHead> {
  const buffer = new Uint8Array(MAX_HEAD_BYTES);
  let length = 0;
  let end = -1;
  const deadline = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, HEAD_TIMEOUT_MS);
  try {
    while (end < 0) {
      if (length === buffer.length) {
        throw new Error(`request head longer than ${MAX_HEAD_BYTES} bytes`);
      }
      const n = await conn.read(buffer.subarray(length)).catch(() => null);
      if (n === null) throw new Error("connection closed before a request");
      length += n;
      end = headEnd(buffer.subarray(0, length));
    }
  } finally {
    clearTimeout(deadline);
  }
  const text = new TextDecoder("latin1").decode(buffer.subarray(0, end));
  return {
    ...parseHead(text),
    rest: buffer.slice(end + 4, length),
  };
}

function headEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 &&
      bytes[i - 3] === 13
    ) return i - 3;
  }
  return -1;
}

/** Headers a proxy must not pass on (hop by hop), plus Host, which is set from the target. */
const DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
  "host",
]);

/** Parses `text` (the head without its final blank line). */
export function parseHead(text: string): Omit<RequestHead, "rest"> {
  const [requestLine = "", ...headerLines] = text.split("\r\n");
  const match = /^([A-Z]{1,20}) (\S+) (HTTP\/1\.[01])$/.exec(requestLine);
  if (!match) throw new Error("not an HTTP/1.x proxy request");
  const [, method = "", target = "", version = ""] = match;
  if (method === "CONNECT") {
    const { host, port } = authority(target);
    return { method, host, port, forward: "" };
  }
  if (!/^http:\/\//i.test(target)) {
    throw new Error(
      /^https:\/\//i.test(target)
        ? "https goes through CONNECT (set HTTPS_PROXY), not as a forwarded request"
        : `'${target.slice(0, 100)}' is not an absolute http:// URL`,
    );
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`'${target.slice(0, 100)}' is not a URL`);
  }
  if (url.username || url.password) {
    throw new Error("credentials in a proxied URL are refused");
  }
  const { host, port } = authority(
    url.port ? `${url.hostname}:${url.port}` : `${url.hostname}:80`,
  );
  const headers = headerLines.filter((line) => {
    const name = line.slice(0, line.indexOf(":")).trim().toLowerCase();
    return line.includes(":") && !DROPPED.has(name);
  });
  const hostHeader = port === 80 ? url.host : `${url.hostname}:${port}`;
  const forward = [
    `${method} ${url.pathname}${url.search} ${version}`,
    `host: ${hostHeader}`,
    ...headers,
    "connection: close",
    "",
    "",
  ].join("\r\n");
  return { method, host, port, forward };
}

/** `host:port` (IPv6 in brackets) with a port that must be given. */
function authority(target: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+):(\d{1,5})$/.exec(target);
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65535)) {
    throw new Error(`'${target.slice(0, 100)}' is not host:port`);
  }
  return {
    host: match[1]!.replace(/^\[|\]$/g, "").toLowerCase(),
    port,
  };
}
