import type { Config } from "../../lib/config.ts";
import type { ModelCheck, ModelClient } from "../../lib/llm/mod.ts";
import type { Redactor } from "../../lib/redact.ts";

import type { RunStore } from "../../lib/store/mod.ts";

/** What the factory actors need from the outside world, injected at composition. */
export interface FactoryDeps {
  config: Config;
  store: RunStore;
  redactor: Redactor;
  sandboxMode: "bwrap" | "none";
  /** Model client for an agent talking to `model`; built per call so config changes need no restart. */
  modelFor(agent: "se" | "po", model: string): ModelClient;
  /** The latest check of the model configuration (lib/llm/preflight.ts), or null before the first. */
  modelCheck?: () => ModelCheck | null;
  /** The service's log (one line each; model retries are logged as they happen). */
  log?: (line: string) => void;
}

/** Actor type names of the factory. */
export const ACTOR = {
  run: "run",
  engineer: "se",
  toolRunner: "tr",
  productOwner: "po",
  webhook: "webhook",
  pullRequest: "pr",
  trigger: "trigger",
  triggerReply: "trigger_reply",
} as const;
