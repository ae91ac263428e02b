/**
 * The network of setup commands: a network namespace of their own, connected
 * to the outside by pasta (Debian package `passt`, user-mode networking), so a
 * repository's install script reaches package registries but not the host's
 * loopback — not the AOS API, not any other local service. Sharing the host's
 * network namespace (`bwrap --share-net`) would hand it 127.0.0.1.
 *
 * The namespace is made by `unshare` (a user + network namespace whose shell
 * waits for its default route), pasta attaches to it by PID and configures
 * it, then the rest of the command line (bwrap with --share-net) runs inside.
 * Only loopback ports the operator lists (AOS_SETUP_HOST_PORTS: a test rig's
 * package index) are forwarded to the host's loopback.
 */

/** How long the namespace's shell waits for pasta to bring its network up: 400 × 50 ms. */
const ROUTE_POLLS = 400;

/**
 * The namespace's shell: waits until pasta has given it a default route and
 * bound the forwarded ports ($1: their hex numbers, as /proc/net/tcp shows
 * them), then runs the command.
 */
const NAMESPACE_SHELL = [
  'ready() { [ "$(wc -l < /proc/net/route)" -ge 2 ] || return 1; for p in $1; do grep -q ":$p 00000000:0000 0A" /proc/net/tcp || return 1; done; }',
  "i=0",
  'until ready "$1"; do',
  "  i=$((i+1))",
  `  if [ "$i" -gt ${ROUTE_POLLS} ]; then echo "aos: the setup network did not come up (pasta)" >&2; exit 125; fi`,
  "  sleep 0.05",
  "done",
  "shift",
  'exec "$@"',
].join("\n");

// pasta's own output goes nowhere: it is not the command's, and old versions
// chatter about syslog. The wrapper watches pasta until the route is up (a
// pasta that fails ends the command at once, not after the namespace's wait)
// and stops it when the command ends; a timeout kills the whole group anyway.
const WRAPPER_SHELL = [
  'ports="$1"; hex="$2"; shift 2',
  `unshare --user --map-root-user --net -- /bin/sh -c '${NAMESPACE_SHELL}' aos-net-ns "$hex" "$@" &`,
  "child=$!",
  // pasta joins the namespaces of $child: not before unshare has made them,
  // or it would join (and configure) the service's own.
  'until [ "$(readlink "/proc/$child/ns/net")" != "$(readlink "/proc/$$/ns/net")" ] && [ -n "$(cat "/proc/$child/uid_map" 2>/dev/null)" ]; do',
  '  kill -0 "$child" 2>/dev/null || { wait "$child"; exit $?; }',
  "  sleep 0.01",
  "done",
  'pasta --runas "$(id -u)" --config-net --quiet --foreground --no-map-gw -t none -u none -T "$ports" -U none "$child" >/dev/null 2>&1 &',
  "net=$!",
  'while kill -0 "$child" 2>/dev/null && [ "$(wc -l 2>/dev/null < "/proc/$child/net/route" || echo 0)" -lt 2 ]; do',
  '  if ! kill -0 "$net" 2>/dev/null; then',
  '    kill -9 "$child" 2>/dev/null',
  '    echo "aos: pasta could not give the setup command a network" >&2',
  "    exit 125",
  "  fi",
  "  sleep 0.05",
  "done",
  'wait "$child"; code=$?',
  'kill "$net" 2>/dev/null',
  'exit "$code"',
].join("\n");

/** Host loopback ports a setup command may reach: what AOS_SETUP_HOST_PORTS names, nothing by default. */
export type HostPorts = readonly number[];

/**
 * The command prefix that runs the rest of the command line in a fresh
 * network namespace with outside access through pasta and only `hostPorts`
 * of the host's loopback forwarded.
 */
export function networkWrapper(hostPorts: HostPorts = []): string[] {
  for (const port of hostPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TypeError(`Host port '${port}' is not a TCP port`);
    }
  }
  const spec = hostPorts.length > 0 ? hostPorts.join(",") : "none";
  const hex = hostPorts.map((p) =>
    p.toString(16).toUpperCase().padStart(4, "0")
  );
  return ["/bin/sh", "-c", WRAPPER_SHELL, "aos-net", spec, hex.join(" ")];
}

let probe: Promise<string | null> | null = null;

/** Null when setup commands can get a network of their own here (probed once per process), else why not. */
export function setupNetworkProblem(): Promise<string | null> {
  probe ??= (async () => {
    if (!(await pastaInstalled())) {
      return "pasta is not installed (apt-get install passt)";
    }
    try {
      const wrapper = networkWrapper();
      const out = await new Deno.Command(wrapper[0]!, {
        args: [
          ...wrapper.slice(1),
          "/bin/sh",
          "-c",
          "tail -n +2 /proc/net/route | grep -q . && echo up",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      if (out.success && text.decode(out.stdout).trim() === "up") return null;
      return text.decode(out.stderr).trim() ||
        `the network probe exited with code ${out.code}`;
    } catch (error) {
      return String(error);
    }
  })();
  return probe;
}

/** Whether pasta is installed. */
async function pastaInstalled(): Promise<boolean> {
  try {
    const out = await new Deno.Command("pasta", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** What a setup command with network prints when it cannot get a network of its own. */
export function networkRefusal(problem: string): string {
  return `[AOS: this setup command needs network, but pasta cannot give it a network namespace here (${problem}). ` +
    "Install pasta (apt-get install passt; a container needs --device /dev/net/tun), " +
    "or set AOS_SETUP_NETWORK=host to share the host's network: setup scripts then reach every service on this host's loopback, the AOS API included]\n";
}
