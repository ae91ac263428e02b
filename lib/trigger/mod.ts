/**
 * trigger: forge deliveries to `/triggers/{kind}` (DESIGN §7/§8) — each
 * forge's headers, signature and events (github.ts, gitlab.ts, gitea.ts),
 * `/aos` commands, and the work order of a run from an issue.
 */
import { githubSource } from "./github.ts";
import { giteaSource } from "./gitea.ts";
import { gitlabSource } from "./gitlab.ts";
import type { TriggerSource } from "./source.ts";
import type { TriggerKind } from "./types.ts";

export { AOS_COMMENT_MARKER, parseCommand } from "./command.ts";
export { TriggerKeys } from "./keys.ts";
export {
  PayloadError,
  type TriggerEvent,
  triggerEventSchema,
  type TriggerKind,
  type TriggerOrigin,
  triggerOriginSchema,
} from "./types.ts";
export { hmacHex } from "./verify.ts";
export { DEFAULTS_PATH, readDefaults, triggerFields } from "./work_order.ts";

/** Each forge kind's deliveries (Bitbucket has none yet). */
export const TRIGGER_SOURCES: Record<TriggerKind, TriggerSource> = {
  github: githubSource,
  gitlab: gitlabSource,
  gitea: giteaSource,
};

/** Whether `kind` is a forge kind triggers serve. */
export function isTriggerKind(kind: string): kind is TriggerKind {
  return Object.hasOwn(TRIGGER_SOURCES, kind);
}
