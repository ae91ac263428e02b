/** The service the HTTP benchmarks measure: API only, in process, on loopback. */
import { loadConfig } from "../lib/config.ts";
import { type Service, startService } from "../main.ts";

/**
 * Starts an API-only service (no workers: a live run stays live for the
 * whole measurement; no sandbox) on `kvPath`, with `extra` variables.
 */
export function startBenchService(
  kvPath: string,
  workspaceRoot: string,
  extra: Record<string, string> = {},
): Promise<Service> {
  return startService({
    config: loadConfig({
      AOS_KV: kvPath,
      WORKSPACE_ROOT: workspaceRoot,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      AOS_SANDBOX: "none",
      AOS_WORKERS: "false",
      ...extra,
    }),
    log: () => {},
  });
}

/** The work order of examples/calculator.md. */
export function calculatorWorkOrder(): Promise<string> {
  return Deno.readTextFile(
    new URL("../examples/calculator.md", import.meta.url),
  );
}

/** Submits `workOrderMd` to the service at `url`; returns the run id. */
export async function submitRun(
  url: string,
  workOrderMd: string,
): Promise<string> {
  const res = await fetch(`${url}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ work_order_md: workOrderMd }),
  });
  if (res.status !== 201) {
    throw new Error(`Submitting a run failed with HTTP ${res.status}`);
  }
  return (await res.json()).id as string;
}
