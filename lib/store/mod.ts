/** Run store: KV schema of runs, events and artifacts (DESIGN §4). */
export {
  type CommittedWrites,
  RunStore,
  type RunStoreOptions,
  type StoreObserver,
  type WrittenRun,
} from "./run_store.ts";
export { RunView } from "./run_cache.ts";
export type { ListRunsQuery, RunCounts } from "./run_listing.ts";
export type { CreateRunOptions, UpdateRunOptions } from "./run_mutations.ts";
export type { ListEventsQuery, NewEvent } from "./events.ts";
export { checkArtifactName } from "./artifacts.ts";
export { applyMutations, MINUS_ONE } from "./commit.ts";
export { StoreKeys } from "./keys.ts";
export {
  MAX_SCHEDULES,
  type Schedule,
  type ScheduleEntry,
  ScheduleStore,
} from "./schedules.ts";
export { JournalConflictError, KvJournal } from "./journal.ts";
export { openKv } from "./kv.ts";
export { nextSeq } from "./seq.ts";
export * from "./types.ts";
export {
  randomSecret,
  type Session,
  SessionStore,
  sha256Hex,
} from "./sessions.ts";
