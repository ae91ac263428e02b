/**
 * Composition root: read config, open KV, start the actor system and the HTTP
 * server. `deno task start` runs it; tests call `startService` in-process.
 */
import {
  type FactoryDeps,
  registerFactory,
  registerTriggers,
} from "./actors/mod.ts";
import { type Config, loadConfig } from "./lib/config.ts";
import { ValidationError } from "./lib/errors.ts";
import { ModelClient, ModelHealth } from "./lib/llm/mod.ts";
import { ConsoleLog } from "./lib/console/mod.ts";
import { Redactor, redactUrl } from "./lib/redact.ts";
import { RunService } from "./actors/run/service.ts";
import { Scheduler } from "./actors/run/scheduler.ts";
import {
  networkRefusal,
  resolveSandboxMode,
  setupNetworkProblem,
} from "./lib/sandbox/mod.ts";
import {
  closeKv,
  kvReachable,
  openKv,
  RunStore,
  watchCrossesProcesses,
} from "./lib/store/mod.ts";
import { withFastRunReads } from "./routes/fast_path.ts";
import { createApp } from "./routes/mod.ts";
import { requestPolicy } from "./routes/middleware/request_guard.ts";
import { ActorSystem } from "./runtime/mod.ts";
import { Metrics, Telemetry, Tracing } from "./lib/telemetry/mod.ts";
import { EnvironmentCache } from "./lib/environment/mod.ts";
import {
  startWorkspaceSweeper,
  type WorkspaceSweeper,
} from "./lib/workspace/mod.ts";

const HOUR_MS = 3_600_000;

/** A running AOS service. */
export interface Service {
  url: string;
  port: number;
  kv: Deno.Kv;
  store: RunStore;
  system: ActorSystem;
  runs: RunService;
  /** This process's metrics and tracer (`/metrics`, OTLP). */
  telemetry: Telemetry;
  /** Writes one line to the service's log (AOS_LOG_FORMAT, redacted). */
  log(line: string): void;
  close(): Promise<void>;
}

/** Whether the API listens on this machine only. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" ||
    hostname === "[::1]" || /^127\./.test(hostname);
}

/** Starts API and workers for `config`; resolves once both are up. */
export async function startService(
  opts: { config: Config; hostname?: string; log?: (line: string) => void },
): Promise<Service> {
  const { config } = opts;
  const redactor = new Redactor([
    config.openaiApiKey,
    config.githubToken,
    config.apiToken,
    config.webhook?.secret,
    ...config.gitCredentials.secrets(),
    ...config.secrets.values(),
  ]);
  // Run records are recognised by their key once the store exists.
  let isRunKey = (_key: Deno.KvKey) => false;
  const consoleLog = new ConsoleLog({
    write: opts.log ?? ((line: string) => console.error(line)),
    format: config.logFormat,
    redactor,
    isRunKey: (key) => isRunKey(key),
  });
  const log = (line: string) => consoleLog.line(line);
  const hostname = opts.hostname ?? config.hostname;
  if (config.apiToken === null && !isLoopback(hostname)) {
    log(
      `WARNING: listening on ${hostname}:${config.port} without AOS_API_TOKEN — anyone who can reach this port can submit runs (they run code and push with this service's credentials), read them and cancel them. Set AOS_API_TOKEN, or AOS_HOST=127.0.0.1 to serve this machine only`,
    );
  }
  const sandboxMode = await resolveSandboxMode(config.sandbox);
  if (sandboxMode === "none") {
    log(
      "WARNING: AOS_SANDBOX=none — acceptance commands run WITHOUT isolation on this host",
    );
  }
  if (sandboxMode === "bwrap" && config.setupHostNetwork) {
    log(
      "WARNING: AOS_SETUP_NETWORK=host — setup commands share this host's network and reach every service on its loopback, the AOS API included",
    );
  } else if (sandboxMode === "bwrap" && config.workers) {
    const problem = await setupNetworkProblem();
    if (problem !== null) log(`WARNING: ${networkRefusal(problem).trim()}`);
  }
  for (const target of config.networkTestTargets) {
    log(
      `WARNING: AOS_NETWORK_TEST_TARGETS sends network_allow host '${target.host}' to ${target.address}:${target.port} (test rigs only)`,
    );
  }
  for (const credential of config.gitCredentials.entries) {
    if (credential.insecureHttp) {
      log(
        `WARNING: AOS_GIT_CREDENTIALS["${credential.host}"] has insecure_http: its token may be sent over plain http (test rigs only)`,
      );
    }
  }
  const kv = await openKv(config.kvPath);
  const store = new RunStore(kv, undefined, {
    liveCacheMs: config.runCacheMs,
  });
  isRunKey = (key) => store.keys.runIdOf(key) !== null;
  // The model configuration, checked now and every few minutes (30 s while
  // wrong): a wrong URL or key shows on the console and in /readyz at once.
  const modelHealth = new ModelHealth({
    apiKey: config.openaiApiKey,
    baseUrl: config.openaiBaseUrl,
    models: [config.model, config.seModel, config.poModel],
    log,
  });
  void modelHealth.check();
  // What the disk gauges show: measured by each workspace sweep, not per scrape.
  let disk: {
    mirrorBytes: number;
    environmentBytes: number;
    workspaces: number;
  } | null = null;
  let system: ActorSystem | null = null;
  const metrics = new Metrics({
    models: [config.model, config.seModel, config.poModel],
    sources: {
      runCounts: () => store.counts(),
      runtime: () => config.workers && system ? system.stats() : null,
      disk: () => Promise.resolve(disk),
    },
  });
  const telemetry = new Telemetry({
    metrics,
    tracing: config.otel.tracesUrl === null ? null : new Tracing({
      url: config.otel.tracesUrl,
      serviceName: config.otel.serviceName,
      resource: config.otel.resource,
    }),
    store: {
      findRun: (id) => store.findRun(id),
      listEvents: (id) => store.listEvents(id),
    },
    log: (line) => log(redactor.redact(line)),
  });
  store.observe(telemetry.committed);
  if (config.otel.tracesUrl !== null) {
    log(`Tracing: spans of runs go to ${redactUrl(config.otel.tracesUrl)}`);
  }
  system = new ActorSystem(kv, {
    logKey: (owner, seq) => store.eventKey(owner.id, seq),
    maxHeavy: config.maxRuns,
    // KV Connect and Postgres notify watchers across processes; local SQLite
    // notifies only in-process.
    watch: watchCrossesProcesses(config.kvPath),
    logger: (line) => log(redactor.redact(line)),
    // The run actor writes run records in its step commits.
    afterWrites: (writes, committed) => {
      store.noteWrites(writes);
      // One console line per run state change, from the commit that made it.
      consoleLog.noteWrites(writes, committed);
      if (committed) store.noteCommitted(writes);
    },
    // The events steps wrote feed metrics and traces (see lib/telemetry).
    afterEvents: (events) => store.noteCommitted(events),
    onDispatch: (actor, waitedMs) => metrics.hop(actor, waitedMs),
  });
  const factoryDeps: FactoryDeps = {
    config,
    store,
    redactor,
    sandboxMode,
    log: (line) => log(redactor.redact(line)),
    modelCheck: () => modelHealth.current,
    modelFor: (agent, model) =>
      new ModelClient({
        apiKey: config.openaiApiKey,
        baseUrl: config.openaiBaseUrl,
        model,
        retryWindowMs: config.modelRetryWindowMs,
        timeoutMs: config.modelTimeoutMs,
        stream: config.modelStream,
        heartbeatMs: config.modelHeartbeatMs,
        maxOutputTokens: config.maxOutputTokens,
        contextTokens: config.contextTokens,
        outputTokenParam: config.outputTokenParam,
        reasoningEffort: agent === "se"
          ? config.seReasoningEffort
          : config.poReasoningEffort,
        onCall: (call) => telemetry.modelCall(agent, call),
      }),
  };
  registerFactory(system, factoryDeps);
  const runs = new RunService({
    store,
    system,
    repoAllowlist: config.repoAllowlist,
    gitCredentials: config.gitCredentials,
    allowLocalRepos: config.allowLocalRepos,
    repoAddresses: config.repoAddresses,
    secretNames: config.secrets.names(),
    networkAllowMax: config.networkAllowMax,
  });
  // Forge triggers create runs through the service (its validation, idempotency).
  registerTriggers(system, { ...factoryDeps, runs });
  const shutdown = new AbortController();
  const app = createApp({
    config,
    store,
    runs,
    redactor,
    // An API-only process (AOS_WORKERS=false) is ready without workers; every
    // process is unready while its database is unreachable.
    isReady: () => (system.started || !config.workers) && kvReachable(kv),
    modelCheck: () => modelHealth.current,
    shutdownSignal: shutdown.signal,
    metrics,
  });
  const server = Deno.serve(
    {
      hostname,
      port: config.port,
      onListen: () => {},
    },
    withFastRunReads(app.fetch, {
      store,
      apiToken: config.apiToken,
      policy: requestPolicy(config),
    }),
  );
  if (config.workers) await system.start();
  // Every process ticks: the KV commit that fires a slot lets only one of them (actors/run/scheduler.ts).
  const scheduler = new Scheduler({
    schedules: store.schedules,
    store,
    runs,
    log: (line) => log(redactor.redact(line)),
  });
  scheduler.start(SCHEDULER_TICK_MS);
  // Artifact chunks a writer killed mid-write left behind (see
  // lib/store/artifact_sweep.ts): swept by worker processes, hourly.
  const sweepArtifacts = () =>
    store.sweepOrphanChunks({ minAgeMs: HOUR_MS }).then(
      (swept) => {
        if (swept.generations > 0) {
          log(
            `Swept ${swept.chunks} orphaned artifact chunks (${swept.generations} unfinished writes)`,
          );
        }
      },
      (error) => log(redactor.redact(`Artifact sweep failed: ${error}`)),
    );
  // Turn journals of runs that ended mid-turn (cancelled, failed, a worker
  // killed): swept on the workspaces' cadence, one read per run that has one.
  const sweepJournals = () =>
    store.sweepJournals().then(
      (swept) => {
        if (swept.runs > 0) {
          log(`Swept the turn journals of ${swept.runs} ended runs`);
        }
      },
      (error) => log(redactor.redact(`Journal sweep failed: ${error}`)),
    );
  const sweeps: Repeating[] = [];
  let workspaceSweeper: WorkspaceSweeper | null = null;
  const environmentCache = new EnvironmentCache({
    workspaceRoot: config.workspaceRoot,
    maxBytes: config.envCacheBytes,
  });
  if (config.workers) {
    sweeps.push(repeat(HOUR_MS, sweepArtifacts));
    sweeps.push(repeat(config.workspaceSweepMs, sweepJournals));
    // Finished runs' workspaces (after their retention) and the mirror bound.
    workspaceSweeper = startWorkspaceSweeper({
      root: config.workspaceRoot,
      intervalMs: config.workspaceSweepMs,
      runOf: (id) => store.findRun(id),
      retentionMs: (status) =>
        status === "FAILED"
          ? config.failedWorkspaceRetentionMs
          : config.workspaceRetentionMs,
      mirrorCacheBytes: config.mirrorCacheBytes,
      log: (line) => log(redactor.redact(line)),
      onSweep: async (result) => {
        const environments = await environmentCache.list().catch(() => []);
        disk = {
          mirrorBytes: result.mirrors.bytes,
          environmentBytes: environments.reduce((sum, e) => sum + e.bytes, 0),
          workspaces: result.kept,
        };
      },
    });
  }
  const port = server.addr.port;
  const url = `http://127.0.0.1:${port}`;
  let closed = false;
  return {
    url,
    port,
    kv,
    store,
    system,
    runs,
    telemetry,
    log,
    async close() {
      if (closed) return;
      closed = true;
      shutdown.abort();
      const sweepsDone = Promise.all(sweeps.map((s) => s.stop()));
      await scheduler.stop();
      await server.shutdown();
      await modelHealth.stop();
      await system.stop();
      await sweepsDone;
      await workspaceSweeper?.stop();
      await telemetry.close().catch((error) =>
        log(redactor.redact(`Telemetry did not close cleanly: ${error}`))
      );
      await closeKv(kv);
    },
  };
}

/** A task run now and every `ms`, one run at a time; `stop` ends it and waits for a run in progress. */
/** How often each process looks for due schedules (slots are seconds apart at the finest). */
const SCHEDULER_TICK_MS = 1_000;

interface Repeating {
  stop(): Promise<void>;
}

/** Runs `task` (which must not reject) now and every `ms`, never two at once. */
function repeat(ms: number, task: () => Promise<void>): Repeating {
  let running = task();
  const timer = setInterval(() => {
    running = running.then(task);
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      return running;
    },
  };
}

/** Loads the configuration and starts; a bad configuration or an unreachable store ends the process with one clear line. */
async function startFromEnv(): Promise<{ config: Config; service: Service }> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.error(`AOS cannot start: invalid configuration: ${error.message}`);
    Deno.exit(2);
  }
  try {
    return { config, service: await startService({ config }) };
  } catch (error) {
    console.error(
      `AOS cannot start: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    Deno.exit(1);
  }
}

if (import.meta.main) {
  const { config, service } = await startFromEnv();
  service.log(
    `AOS listening on http://${config.hostname}:${service.port} (docs at /docs, KV ${
      redactUrl(config.kvPath)
    })`,
  );
  // Everything is durable, so a shutdown that cannot finish (a database that
  // is down holds commits and requests) may end the process: leases expire
  // and the steps in flight are redone elsewhere. A second signal exits now.
  let stopping = false;
  const stop = async () => {
    if (stopping) Deno.exit(1);
    stopping = true;
    const grace = setTimeout(() => {
      console.error(
        `Shutdown did not finish within ${config.shutdownGraceMs} ms (is the database reachable?); exiting`,
      );
      Deno.exit(1);
    }, config.shutdownGraceMs);
    await service.close();
    clearTimeout(grace);
    Deno.exit(0);
  };
  try {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (error) {
    // Platforms without signals (Deno Deploy) stop the isolate themselves.
    console.error(`No signal handlers (${String(error)}); continuing`);
  }
}
