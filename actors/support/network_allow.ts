/**
 * `network_allow` for a run's commands: the work order's hosts, the
 * operator's ceiling and test targets, and each connection the egress proxy
 * allows or refuses written to the run's log at once (NET_ALLOWED /
 * NET_REFUSED), as the command runs.
 */
import type { NetworkAllowOptions } from "../../lib/sandbox/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import type { FactoryDeps } from "./deps.ts";
import type { LiveEvent } from "./live_event.ts";

/** The sandbox option of a run's SE or acceptance commands; undefined without `network_allow`. */
export function networkAllowFor(
  deps: FactoryDeps,
  opts: {
    workOrder: WorkOrder;
    source: "se" | "acceptance";
    iteration: number;
    live: LiveEvent;
  },
): NetworkAllowOptions | undefined {
  const hosts = opts.workOrder.network_allow;
  if (hosts.length === 0) return undefined;
  return {
    hosts,
    ceiling: deps.config.networkAllowMax,
    testTargets: deps.config.networkTestTargets,
    onEvent: (event) =>
      opts.live(
        event.allowed
          ? {
            kind: "NET_ALLOWED",
            level: "INFO",
            iteration: opts.iteration,
            payload: {
              source: opts.source,
              host: event.host,
              port: event.port,
              ...(event.address ? { address: event.address } : {}),
            },
          }
          : {
            kind: "NET_REFUSED",
            level: "WARN",
            iteration: opts.iteration,
            payload: {
              source: opts.source,
              host: event.host,
              port: event.port,
              reason: event.reason ?? "refused",
            },
          },
      ),
  };
}

/** What the SE is told about its commands' network. */
export function networkNote(workOrder: WorkOrder): string {
  return workOrder.network_allow.length === 0
    ? "no network"
    : `network only to ${
      workOrder.network_allow.join(", ")
    } (ports 80 and 443, through the proxy in HTTP_PROXY/HTTPS_PROXY)`;
}
