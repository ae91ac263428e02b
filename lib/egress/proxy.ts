/**
 * The egress proxy of `network_allow`: an HTTP proxy on a unix socket,
 * outside the sandbox, that a sandboxed command reaches through a bridge
 * (the sandbox itself has no network device but `lo`). `CONNECT host:port`
 * opens a tunnel for https — the bytes are passed on, never decrypted — and
 * an absolute-form `GET http://host/…` is forwarded as one request. Every
 * connection is checked: the port is 80 or 443, the host is named by the work
 * order's patterns (and within the operator's ceiling), and every address
 * its DNS gives is public (no loopback, private, link-local…); the checked
 * address is the one connected to, so a second DNS answer cannot move the
 * connection. Each decision is told to `onEvent` (NET_ALLOWED / NET_REFUSED).
 */
import {
  checkHost,
  dnsResolver,
  isPrivateAddress,
  type Resolver,
} from "../net/mod.ts";
import { hostAllowed, normalizeHost } from "./host_pattern.ts";
import { readHead, type RequestHead } from "./request_head.ts";

/** The ports a work order's hosts may be reached on. */
export const EGRESS_PORTS: readonly number[] = [80, 443];

/** A test rig's host: where the proxy sends it (AOS_NETWORK_TEST_TARGETS `host=address:port`). */
export interface TestTarget {
  host: string;
  address: string;
  port: number;
}

/** One connection the proxy allowed or refused. */
export interface EgressEvent {
  allowed: boolean;
  /** The host asked for (lower case), or what could be read of the request. */
  host: string;
  port: number | null;
  /** The address connected to (allowed). */
  address?: string;
  /** Why not (refused). */
  reason?: string;
}

/** Options of startEgressProxy(). */
export interface EgressProxyOptions {
  /** Where the proxy listens (a unix socket path; its directory must exist). */
  socketPath: string;
  /** The work order's `network_allow`: `host` or `*.suffix`. */
  hosts: readonly string[];
  /** AOS_NETWORK_ALLOW_MAX, checked again at each connection (default: no ceiling). */
  ceiling?: readonly string[];
  /**
   * Hosts sent to a fixed address and port instead of their DNS answer,
   * loopback and private allowed (AOS_NETWORK_TEST_TARGETS: test rigs only).
   * The host must still be in `hosts` and asked for on port 80 or 443.
   */
  testTargets?: readonly TestTarget[];
  /** How names become addresses (tests pass a hostile one). */
  resolver?: Resolver;
  /** Told of each connection allowed or refused (at most `maxEvents` times). */
  onEvent?: (event: EgressEvent) => void;
  /** Connections open at once (default 64); more are refused. */
  maxConnections?: number;
  /** Events told per proxy (default 200): a command looping on connections must not flood the run's log. */
  maxEvents?: number;
}

/** A running proxy. */
export interface EgressProxy {
  socketPath: string;
  /** Connections allowed and refused so far, and events not told past `maxEvents`. */
  readonly counts: { allowed: number; refused: number; untold: number };
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Starts the proxy on `opts.socketPath`. */
export function startEgressProxy(opts: EgressProxyOptions): EgressProxy {
  const listener = Deno.listen({ transport: "unix", path: opts.socketPath });
  const open = new Set<Deno.Conn>();
  const counts = { allowed: 0, refused: 0, untold: 0 };
  const maxEvents = opts.maxEvents ?? 200;
  const tell = (event: EgressEvent) => {
    if (event.allowed) counts.allowed++;
    else counts.refused++;
    if (counts.allowed + counts.refused > maxEvents) counts.untold++;
    else opts.onEvent?.(event);
  };
  const handling = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      if (open.size >= (opts.maxConnections ?? 64)) {
        tell({
          allowed: false,
          host: "",
          port: null,
          reason: "too many connections at once",
        });
        await refuse(conn, 503, "too many connections at once");
        continue;
      }
      open.add(conn);
      const done = handle(conn, opts, tell, open).finally(() => {
        open.delete(conn);
        handling.delete(done);
      });
      handling.add(done);
    }
  })().catch(() => {/* closed */});
  return {
    socketPath: opts.socketPath,
    counts,
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const conn of open) closeQuietly(conn);
      await accepting;
      await Promise.allSettled([...handling]);
      await Deno.remove(opts.socketPath).catch(() => {});
    },
  };
}

/** One client connection: read the request, decide, then tunnel or forward. */
async function handle(
  client: Deno.Conn,
  opts: EgressProxyOptions,
  tell: (event: EgressEvent) => void,
  open: Set<Deno.Conn>,
): Promise<void> {
  let head: RequestHead;
  try {
    head = await readHead(client);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    tell({ allowed: false, host: "", port: null, reason });
    await refuse(client, 400, reason);
    return;
  }
  const verdict = await decide(head, opts);
  if (!verdict.ok) {
    tell({
      allowed: false,
      host: head.host,
      port: head.port,
      reason: verdict.reason,
    });
    await refuse(client, verdict.status, verdict.reason);
    return;
  }
  let upstream: Deno.TcpConn | null = null;
  let failure = "";
  for (const address of verdict.addresses.slice(0, 3)) {
    try {
      upstream = await connectWithin(
        address,
        verdict.port,
        CONNECT_TIMEOUT_MS,
      );
      tell({ allowed: true, host: head.host, port: head.port, address });
      break;
    } catch (error) {
      failure = `could not connect to ${address} port ${verdict.port} (${
        error instanceof Error ? error.name : "error"
      })`;
    }
  }
  if (upstream === null) {
    tell({
      allowed: false,
      host: head.host,
      port: head.port,
      reason: failure,
    });
    await refuse(client, 502, failure);
    return;
  }
  open.add(upstream);
  try {
    const writer = upstream.writable.getWriter();
    if (head.method === "CONNECT") {
      await write(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
    } else {
      await writer.write(new TextEncoder().encode(head.forward));
    }
    if (head.rest.length > 0) await writer.write(head.rest);
    writer.releaseLock();
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
  } catch {
    /* either side went away */
  } finally {
    open.delete(upstream);
    closeQuietly(upstream);
    closeQuietly(client);
  }
}

type Verdict =
  | { ok: true; addresses: string[]; port: number }
  | { ok: false; status: number; reason: string };

/** The policy: port, host patterns, ceiling, then the addresses DNS gives. */
async function decide(
  head: RequestHead,
  opts: EgressProxyOptions,
): Promise<Verdict> {
  const host = normalizeHost(head.host);
  if (!EGRESS_PORTS.includes(head.port)) {
    return {
      ok: false,
      status: 403,
      reason: `port ${head.port} refused: only 80 and 443 are reachable`,
    };
  }
  if (!hostAllowed(opts.hosts, host)) {
    return {
      ok: false,
      status: 403,
      reason: `host '${host}' is not in the work order's network_allow`,
    };
  }
  if (opts.ceiling && !hostAllowed(opts.ceiling, host)) {
    return {
      ok: false,
      status: 403,
      reason: `host '${host}' is not within AOS_NETWORK_ALLOW_MAX`,
    };
  }
  const target = opts.testTargets?.find((t) => t.host === host);
  if (target) {
    return { ok: true, addresses: [target.address], port: target.port };
  }
  const check = await checkHost(host, opts.resolver ?? dnsResolver);
  if (!check.ok) return { ok: false, status: 403, reason: check.message };
  // checkHost refused any private address; this keeps that true if it ever changes.
  const addresses = check.addresses.filter((a) => !isPrivateAddress(a));
  return { ok: true, addresses, port: head.port };
}

async function connectWithin(
  hostname: string,
  port: number,
  ms: number,
): Promise<Deno.TcpConn> {
  const connecting = Deno.connect({ hostname, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      connecting.then(closeQuietly, () => {});
      reject(new Deno.errors.TimedOut(`no answer in ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([connecting, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function refuse(
  conn: Deno.Conn,
  status: number,
  reason: string,
): Promise<void> {
  const text = `aos egress proxy: ${reason}\n`;
  const phrase = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" }[
    status
  ] ?? "Service Unavailable";
  try {
    await write(
      conn,
      `HTTP/1.1 ${status} ${phrase}\r\ncontent-type: text/plain\r\ncontent-length: ${
        new TextEncoder().encode(text).length
      }\r\nconnection: close\r\n\r\n${text}`,
    );
  } catch { /* gone */ }
  closeQuietly(conn);
}

async function write(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let done = 0;
  while (done < bytes.length) done += await conn.write(bytes.subarray(done));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* closed */ }
}
