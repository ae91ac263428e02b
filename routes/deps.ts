/** What the route sub-apps need from the composition root (main.ts). */
import type { Config } from "../lib/config.ts";
import type { ModelCheck } from "../lib/llm/mod.ts";
import type { Redactor } from "../lib/redact.ts";
import type { RunService } from "../actors/run/service.ts";
import type { RunStore } from "../lib/store/mod.ts";
import type { Metrics } from "../lib/telemetry/mod.ts";

/** The services every route file is built from. */
export interface AppDeps {
  config: Config;
  store: RunStore;
  runs: RunService;
  /** The one Redactor of the process (built in main.ts): error texts pass through it. */
  redactor: Redactor;
  isReady: () => boolean;
  /** The latest check of the model configuration, or null before the first (shown by /readyz). */
  modelCheck?: () => ModelCheck | null;
  /** This process's metrics, served at /metrics (no route without them). */
  metrics?: Metrics;
  /** Aborted when the server shuts down, so live streams end. */
  shutdownSignal?: AbortSignal;
}
