import {
  applyPacket,
  type Packet,
  prepareWorkspace,
  resetWorkspace,
  type SeCommandRecord,
  WorkingCopy,
} from "../../lib/workspace/mod.ts";
import type { WorkOrder } from "../../lib/work_order/mod.ts";
import {
  type CommandLayout,
  EnvironmentCache,
  prepareEnvironment,
  restoreCachedEnvironment,
  SetupFailedError,
  type SetupOutcome,
  setupSecretNames,
} from "../../lib/environment/mod.ts";
import { ARTIFACT, readArtifact } from "../../lib/factory/mod.ts";
import type { FactoryDeps } from "./deps.ts";
import type { SeCommandUsage } from "../../lib/workspace/mod.ts";
import type { NetworkAllowOptions } from "../../lib/sandbox/mod.ts";

/** A workspace rebuilt to a known state. */
export interface Materialized {
  dir: string;
  baseCommit: string;
  applied: number;
  rejected: { path: string; reason: string }[];
  /** What the setup phase did for this workspace (restored, built, or none). */
  setup: SetupOutcome;
  /** Spread into runCommand() so commands see the restored environment. */
  layout: CommandLayout;
}

/** The cached environments of this service's WORKSPACE_ROOT. */
export function environmentCache(deps: FactoryDeps): EnvironmentCache {
  return new EnvironmentCache({
    workspaceRoot: deps.config.workspaceRoot,
    maxBytes: deps.config.envCacheBytes,
  });
}

/**
 * Rebuilds the run's workspace as base commit + environment + the SE packets
 * of iterations 1..`throughIteration`, in order. The workspace is a pure
 * function of those inputs, so any worker can rebuild it after a crash or a
 * takeover; the environment is restored from the cache, and setup runs again
 * only when it is not there (evicted, or another host). A failing setup throws
 * SetupFailedError after `onSetup` has seen its results.
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
    /** Sees the setup outcome whenever there are setup commands (to emit events). */
    onSetup?: (outcome: SetupOutcome) => void;
    /** False when no command will run (commit and push): the environment is not restored. */
    withEnvironment?: boolean;
    /** Told when a setup command starts (to emit CMD_START as it happens). */
    onCommandStart?: ((command: string, timeoutS: number) => void) | undefined;
    /** Best-of-N: the packet of `throughIteration` is this attempt's, not the kept one. */
    attempt?: number | undefined;
  },
): Promise<Materialized> {
  const { runId, workOrder } = opts;
  const { dir, baseCommit } = await prepareWorkspace({
    root: deps.config.workspaceRoot,
    runId,
    repo: workOrder.repo,
    ref: opts.baseCommit,
    credentials: deps.config.gitCredentials,
    addressPolicy: deps.config.repoAddresses,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  await resetWorkspace(dir, baseCommit);
  const setup = await prepareEnvironment({
    dir,
    baseCommit,
    spec: opts.withEnvironment === false
      ? { ...workOrder, setup_commands: [] }
      : workOrder,
    cache: environmentCache(deps),
    workspaceRoot: deps.config.workspaceRoot,
    mode: deps.sandboxMode,
    redact: (text) => deps.redactor.redact(text),
    hostPorts: deps.config.setupHostPorts,
    hostNetwork: deps.config.setupHostNetwork,
    secrets: deps.config.secrets.env(setupSecretNames(workOrder)),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onCommandStart ? { onCommandStart: opts.onCommandStart } : {}),
  });
  if (setup.status !== "none") opts.onSetup?.(setup);
  if (setup.status === "failed") throw new SetupFailedError(setup);
  const policy = {
    allowed: workOrder.allowed_paths,
    forbidden: workOrder.forbidden_paths,
  };
  let applied = 0;
  let rejected: Materialized["rejected"] = [];
  for (let n = 1; n <= opts.throughIteration; n++) {
    const packet = await readArtifact(
      deps.store,
      runId,
      ARTIFACT.sePacket(
        n,
        n === opts.throughIteration ? opts.attempt : undefined,
      ),
    );
    if (!packet) continue;
    const result = await applyPacket(dir, packet, policy);
    // Only the newest packet's counts describe this iteration's apply step.
    applied = result.applied;
    rejected = result.rejected;
  }
  return { dir, baseCommit, applied, rejected, setup, layout: setup.layout };
}

/**
 * Restores the run's environment into another checkout `dir` of the base
 * commit — the SE's working copy — and returns the layout its commands need
 * (spread into runCommand). Setup never runs in that checkout: when the
 * environment is not cached, the run's own workspace is rebuilt first (which
 * runs setup there), then it is restored from the cache.
 */
export async function restoreRunEnvironment(
  deps: FactoryDeps,
  opts: {
    runId: string;
    workOrder: WorkOrder;
    baseCommit: string;
    dir: string;
    signal?: AbortSignal;
    onSetup?: (outcome: SetupOutcome) => void;
    onCommandStart?: ((command: string, timeoutS: number) => void) | undefined;
  },
): Promise<CommandLayout> {
  const restore = () =>
    restoreCachedEnvironment({
      dir: opts.dir,
      baseCommit: opts.baseCommit,
      spec: opts.workOrder,
      cache: environmentCache(deps),
      workspaceRoot: deps.config.workspaceRoot,
      mode: deps.sandboxMode,
    });
  const layout = await restore();
  if (layout) return layout;
  await materialize(deps, { ...opts, throughIteration: 0 });
  const rebuilt = await restore();
  if (!rebuilt) {
    throw new Error(
      `The environment of run '${opts.runId}' was evicted while it was restored`,
    );
  }
  return rebuilt;
}

/**
 * Opens the SE's working copy for iteration `iteration`: the run's base commit
 * with the packets of iterations 1..N-1 applied (rebuilt when absent, on any
 * worker), plus `pending` — a journaled packet of this turn — when the turn
 * resumes. run_command is offered unless the work order says `se_commands: false`.
 */
export async function openWorkingCopy(
  deps: FactoryDeps,
  opts: {
    runId: string;
    workOrder: WorkOrder;
    iteration: number;
    /** Attempt K of a best-of-N iteration: a working copy of its own. */
    attempt?: number | undefined;
    /** The run's resolved base commit. */
    baseCommit: string;
    pending?: Packet | undefined;
    commandUsage?: SeCommandUsage | undefined;
    signal?: AbortSignal | undefined;
    /** Sees the setup outcome whenever there are setup commands (to emit events). */
    onSetup?: (outcome: SetupOutcome) => void;
    /** Sees each command the SE runs (to emit SE_COMMAND events). */
    onCommand?: ((run: SeCommandRecord) => void) | undefined;
    /** The SE's commands' `network_allow` (networkAllowFor), if any. */
    networkAllow?: NetworkAllowOptions | undefined;
    /** Told when a command (setup or the SE's) starts, to emit CMD_START as it happens. */
    onCommandStart?:
      | ((
        command: string,
        timeoutS: number,
        source: "setup" | "se",
      ) => void)
      | undefined;
  },
): Promise<WorkingCopy> {
  const { runId, workOrder } = opts;
  const earlier: Packet[] = [];
  for (let n = 1; n < opts.iteration; n++) {
    const packet = await readArtifact(deps.store, runId, ARTIFACT.sePacket(n));
    if (packet) earlier.push(packet);
  }
  const commands = workOrder.se_commands
    ? {
      env: workOrder.env,
      mode: deps.sandboxMode,
      hideDirs: [deps.config.workspaceRoot],
      maxCommands: workOrder.max_se_commands,
      maxSeconds: workOrder.se_command_seconds,
      maxTimeoutS: workOrder.command_timeout_s,
      networkAllow: opts.networkAllow,
    }
    : undefined;
  return await WorkingCopy.open({
    root: deps.config.workspaceRoot,
    runId,
    attempt: opts.attempt,
    repo: workOrder.repo,
    baseCommit: opts.baseCommit,
    credentials: deps.config.gitCredentials,
    addressPolicy: deps.config.repoAddresses,
    earlier,
    pending: opts.pending,
    policy: {
      allowed: workOrder.allowed_paths,
      forbidden: workOrder.forbidden_paths,
    },
    signal: opts.signal,
    // The Tool Runner's environment, restored from the cache (never set up here).
    environment: (dir, baseCommit) =>
      restoreRunEnvironment(deps, {
        runId,
        workOrder,
        baseCommit,
        dir,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onSetup ? { onSetup: opts.onSetup } : {}),
        onCommandStart: (command, timeoutS) =>
          opts.onCommandStart?.(command, timeoutS, "setup"),
      }),
  }, {
    commands,
    commandUsage: opts.commandUsage,
    signal: opts.signal,
    onCommand: opts.onCommand,
    onCommandStart: (command, timeoutS) =>
      opts.onCommandStart?.(command, timeoutS, "se"),
  });
}
