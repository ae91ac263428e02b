import {
  applyPacket,
  prepareWorkspace,
  resetWorkspace,
} from "../../lib/workspace/workspace.ts";
import type { WorkOrder } from "../../lib/work_order/parse.ts";
import { artifactName, getJson } from "./artifacts.ts";
import type { FactoryDeps } from "./deps.ts";
import type { SePacket } from "../../lib/factory/shapes.ts";

/** A workspace rebuilt to a known state. */
export interface Materialized {
  dir: string;
  baseCommit: string;
  applied: number;
  rejected: { path: string; reason: string }[];
}

/**
 * Rebuilds the run's workspace as base commit + the SE packets of iterations
 * 1..`throughIteration`, in order. The workspace is a pure function of those
 * inputs, so any worker can rebuild it after a crash or a takeover.
 */
export async function materialize(
  deps: FactoryDeps,
  opts: {
    runId: string;
    workOrder: WorkOrder;
    throughIteration: number;
    /** The run's resolved base commit (never the branch: it may have moved since). */
    baseCommit: string;
    signal?: AbortSignal;
  },
): Promise<Materialized> {
  const { runId, workOrder } = opts;
  const { dir, baseCommit } = await prepareWorkspace({
    root: deps.config.workspaceRoot,
    runId,
    repo: workOrder.repo,
    ref: opts.baseCommit,
    credentials: deps.config.gitCredentials,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  await resetWorkspace(dir, baseCommit);
  const policy = {
    allowed: workOrder.allowed_paths,
    forbidden: workOrder.forbidden_paths,
  };
  let applied = 0;
  let rejected: Materialized["rejected"] = [];
  for (let n = 1; n <= opts.throughIteration; n++) {
    const packet = await getJson<SePacket>(
      deps.store,
      runId,
      artifactName.sePacket(n),
    );
    if (!packet) continue;
    const result = await applyPacket(dir, packet, policy);
    // Only the newest packet's counts describe this iteration's apply step.
    applied = result.applied;
    rejected = result.rejected;
  }
  return { dir, baseCommit, applied, rejected };
}
