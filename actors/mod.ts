/** The AOS actors, ready to register on an actor system. */
import type { ActorSystem } from "../runtime/mod.ts";
import type { FactoryDeps } from "./support/deps.ts";
import { engineerActor } from "./engineer/mod.ts";
import { productOwnerActor } from "./product_owner/mod.ts";
import { runActor } from "./run/mod.ts";
import { toolRunnerActor } from "./tool_runner/mod.ts";
import { webhookActor } from "./webhook/mod.ts";
import { pullRequestActor } from "./pull_request/mod.ts";
import { replyActor, triggerActor, type TriggerDeps } from "./trigger/mod.ts";

export { ACTOR, type FactoryDeps } from "./support/deps.ts";
export { runRef } from "./run/messages.ts";

/** Registers the run, SE, TR, PO, webhook and pull-request actors on `system`. */
export function registerFactory(system: ActorSystem, deps: FactoryDeps): void {
  system.register(runActor(deps));
  system.register(engineerActor(deps));
  system.register(toolRunnerActor(deps));
  system.register(productOwnerActor(deps));
  system.register(webhookActor(deps));
  system.register(pullRequestActor(deps));
  system.register(replyActor(deps));
}

/** Registers the forge trigger actor (it needs the RunService, built after the factory). */
export function registerTriggers(system: ActorSystem, deps: TriggerDeps): void {
  system.register(triggerActor(deps));
}
