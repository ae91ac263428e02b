/**
 * factory: the shapes passed between stations, and the events and artifacts
 * declared once, read and written through them.
 */
export { readArtifact, writeArtifact } from "./artifact_store.ts";
export {
  ARTIFACT,
  type Artifact,
  ARTIFACT_KINDS,
  ARTIFACTS,
  type ArtifactValue,
  matchArtifact,
} from "./artifacts.ts";
export { bestAttempt, dropReason } from "./attempts.ts";
export {
  EVENT_KINDS,
  type EventKind,
  EVENTS,
  isEventKind,
  type NewRunEvent,
  payloadOf,
  redactedEvent,
  runEventSchema,
} from "./events.ts";
export {
  commandFailed,
  type CommandResult,
  noUsage,
  type PoReport,
  sumUsage,
  type ToolReport,
  type Usage,
  usageSchema,
  verdictDecisionSchema,
} from "./shapes.ts";
export { StoredValueError } from "./stored_value.ts";
