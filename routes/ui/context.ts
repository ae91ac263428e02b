/** What the dashboard's route files share. */
import type { RunService } from "../../actors/run/service.ts";
import type { Config } from "../../lib/config.ts";
import type { Redactor } from "../../lib/redact.ts";
import type { RunStore, SessionStore } from "../../lib/store/mod.ts";

/** What the dashboard needs from the service (a subset of the API's deps). */
export interface UiDeps {
  config: Config;
  store: RunStore;
  runs: RunService;
  /** The service's one Redactor (built in main.ts). */
  redactor: Redactor;
  /** Aborted at shutdown, so live streams end. */
  shutdownSignal?: AbortSignal;
}

/** Context the route files share. */
export interface UiContext extends UiDeps {
  sessions: SessionStore;
}
