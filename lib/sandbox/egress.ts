/**
 * `network_allow` inside the sandbox. The command keeps a network namespace
 * with only `lo` (no device reaches out); the egress proxy (lib/egress) runs
 * outside, in the service, on a unix socket bound into the sandbox. Clients
 * want `HTTP_PROXY=http://host:port`, not a socket path, so a small bridge
 * started inside first listens on a loopback port of the sandbox's own `lo`
 * and passes each connection to the socket. The bridge is run by the Deno
 * binary the service itself runs on: the one runtime sure to be on every
 * host that runs AOS (socat is not installed by default, and a Python or Perl
 * of the host may be missing or different), bound in read-only with the
 * bridge's few lines of JavaScript. It runs with the command's own
 * privileges, so it adds nothing a command could not do itself.
 */
import { join } from "node:path";
import type { Resolver } from "../net/mod.ts";
import {
  type EgressEvent,
  type EgressProxy,
  startEgressProxy,
  type TestTarget,
} from "../egress/mod.ts";

/** `network_allow` for a command: which hosts, within what ceiling, and who hears of each connection. */
export interface NetworkAllowOptions {
  /** Host patterns (`host`, `*.suffix`) the command may reach on ports 80 and 443. */
  hosts: readonly string[];
  /** AOS_NETWORK_ALLOW_MAX, checked again at every connection. */
  ceiling?: readonly string[];
  /** AOS_NETWORK_TEST_TARGETS: hosts sent to a fixed (loopback) address and port (test rigs). */
  testTargets?: readonly TestTarget[];
  /** Told of every connection allowed or refused (NET_ALLOWED / NET_REFUSED). */
  onEvent?: (event: EgressEvent) => void;
  /** How names become addresses (tests). */
  resolver?: Resolver;
}

/** Where the socket and the bridge appear inside the sandbox. */
const INSIDE_DIR = "/run/aos/egress";
/** Where the Deno binary appears inside the sandbox. */
const INSIDE_DENO = "/run/aos/deno";

/** The bridge: a loopback port of the sandbox to the proxy's socket; prints its port once it listens. */
const BRIDGE = `
const socket = Deno.args[0];
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(listener.addr.port);
for await (const conn of listener) {
  (async () => {
    let upstream;
    try {
      upstream = await Deno.connect({ transport: "unix", path: socket });
    } catch {
      conn.close();
      return;
    }
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(conn.writable),
    ]);
    for (const c of [conn, upstream]) {
      try { c.close(); } catch { /* closed */ }
    }
  })();
}
`;

/**
 * The wrapper inside the sandbox: starts the bridge, waits for its port (a
 * FIFO on the private /tmp), exports the proxy variables, then execs the
 * program after it. Without the port nothing runs (exit 125).
 */
const WRAPPER = [
  `d=${INSIDE_DIR}`,
  "f=/tmp/.aos-egress-port",
  'mkfifo -m 600 "$f" || exit 125',
  `(cd / && exec env -i HOME=/tmp DENO_NO_UPDATE_CHECK=1 DENO_DIR=/tmp/.aos-deno ${INSIDE_DENO} run --no-config --quiet --no-prompt --allow-net --allow-read=$d --allow-write=$d $d/bridge.js $d/proxy.sock) </dev/null >"$f" 2>/dev/null &`,
  'read -r port <"$f"',
  'rm -f "$f"',
  'case "$port" in',
  "  ''|*[!0-9]*) echo 'aos: the network_allow bridge did not start' >&2; exit 125 ;;",
  "esac",
  "p=http://127.0.0.1:$port",
  "n=localhost,127.0.0.1,::1",
  'export HTTP_PROXY="$p" HTTPS_PROXY="$p" http_proxy="$p" https_proxy="$p" NO_PROXY="$n" no_proxy="$n"',
  'exec "$@"',
].join("\n");

/** A proxy started for one command, and what the sandbox needs to reach it. */
export interface EgressSession {
  /** bwrap arguments binding the socket, the bridge and Deno in. */
  bwrapArgs: string[];
  /** `inner` (the command line run inside the sandbox) with the bridge started first. */
  wrap(inner: readonly string[]): string[];
  /** Stops the proxy (every open connection is cut) and removes its files. */
  close(): Promise<void>;
}

/** Starts the proxy for one command with `network_allow`. */
export async function startEgressSession(
  opts: NetworkAllowOptions,
): Promise<EgressSession> {
  const dir = await Deno.makeTempDir({ prefix: "aos-egress-" });
  let proxy: EgressProxy;
  try {
    await Deno.writeTextFile(join(dir, "bridge.js"), BRIDGE);
    proxy = startEgressProxy({
      socketPath: join(dir, "proxy.sock"),
      hosts: opts.hosts,
      ...(opts.ceiling ? { ceiling: opts.ceiling } : {}),
      ...(opts.testTargets ? { testTargets: opts.testTargets } : {}),
      ...(opts.resolver ? { resolver: opts.resolver } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    bwrapArgs: [
      "--ro-bind",
      dir,
      INSIDE_DIR,
      "--ro-bind",
      Deno.execPath(),
      INSIDE_DENO,
    ],
    wrap: (inner) => ["/bin/sh", "-c", WRAPPER, "aos-egress", ...inner],
    async close() {
      await proxy.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
