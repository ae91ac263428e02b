/** Run store: KV schema of runs, events and artifacts (DESIGN §4). */
export { checkArtifactName } from "./artifacts.ts";
export { applyMutations } from "./commit.ts";
export type { NewEvent } from "./events.ts";
export { JournalConflictError, KvJournal } from "./journal.ts";
export { StoreKeys } from "./keys.ts";
export { closeKv, kvReachable, openKv, watchCrossesProcesses } from "./kv.ts";
export { isPostgresUrl } from "./postgres/mod.ts";
export type { RunCounts } from "./run_listing.ts";
export {
  type CommittedWrites,
  RunStore,
  type WrittenRun,
} from "./run_store.ts";
export {
  MAX_SCHEDULES,
  type Schedule,
  type ScheduleEntry,
  ScheduleStore,
} from "./schedules.ts";
export { nextSeq } from "./seq.ts";
export { randomSecret, SessionStore, sha256Hex } from "./sessions.ts";
export {
  type ArtifactMeta,
  artifactMetaSchema,
  type BudgetLimits,
  RUN_STATUSES,
  type RunEvent,
  runEventSchema,
  type RunPause,
  type RunRecord,
  runRecordSchema,
  type RunStatus,
  runStatusSchema,
  TERMINAL_STATUSES,
} from "./types.ts";
