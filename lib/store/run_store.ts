/** The run store: run records, indexes, counts, events and artifacts in Deno KV (DESIGN §4). */
import { NotFoundError } from "../errors.ts";
import type { Mutation } from "../../runtime/mod.ts";
import {
  getArtifactAt,
  listArtifactsAt,
  putArtifactAt,
  streamArtifactAt,
} from "./artifacts.ts";
import { sweepOrphanChunksAt, type SweepResult } from "./artifact_sweep.ts";
import { applyMutations } from "./commit.ts";
import { listEventsAt, type ListEventsQuery, type NewEvent } from "./events.ts";
import { nextSeq } from "./seq.ts";
import { KvJournal } from "./journal.ts";
import { type JournalSweepResult, sweepJournalsAt } from "./journal_sweep.ts";
import { StoreKeys } from "./keys.ts";
import { ScheduleStore } from "./schedules.ts";
import { fromStored, readWorkOrder, type StoredRun } from "./run_codec.ts";
import {
  countsAt,
  listRunsAt,
  type ListRunsQuery,
  type RunCounts,
} from "./run_listing.ts";
import {
  checkIdempotencyKey,
  createRunMutations,
  type CreateRunOptions,
  updateRunMutations,
  type UpdateRunOptions,
} from "./run_mutations.ts";
import { RunCache, RunView } from "./run_cache.ts";
import {
  type ArtifactMeta,
  type RunEvent,
  runEventSchema,
  type RunRecord,
  runRecordSchema,
  TERMINAL_STATUSES,
} from "./types.ts";

export type { ListRunsQuery, RunCounts } from "./run_listing.ts";
export { RunView } from "./run_cache.ts";

/** Options of RunStore. */
export interface RunStoreOptions {
  /**
   * How long `viewRun` may serve a live run from memory (default 0: always
   * read KV). Bounds how late another process's writes can show there.
   */
  liveCacheMs?: number;
  /** Monotonic milliseconds for the cache's ages (default `performance.now`). */
  now?: () => number;
}

/** A run record as a landed write stored it (the work order text left out). */
export type WrittenRun = Omit<RunRecord, "work_order_md">;

/** What landed in one commit (or one event append): the runs and events it wrote. */
export interface CommittedWrites {
  runs: WrittenRun[];
  events: { runId: string; event: RunEvent }[];
}

/** Hears of every run record and event this process's writes landed (metrics, traces). */
export type StoreObserver = (writes: CommittedWrites) => void;

const writtenRunSchema = runRecordSchema.omit({ work_order_md: true });

/** Reads and writes runs; every index is committed with the record it indexes. */
export class RunStore {
  /** Key layout of this store. */
  readonly keys: StoreKeys;
  /** The scheduled runs kept beside the runs (same KV, same prefix). */
  readonly schedules: ScheduleStore;
  readonly #cache: RunCache;
  /** Reads of run records in flight, shared by concurrent `viewRun` calls. */
  readonly #loading = new Map<string, Promise<RunView | null>>();
  readonly #observers: StoreObserver[] = [];

  constructor(
    readonly kv: Deno.Kv,
    prefix: Deno.KvKey = ["aos"],
    opts: RunStoreOptions = {},
  ) {
    this.keys = new StoreKeys(prefix);
    this.schedules = new ScheduleStore(kv, this.keys);
    this.#cache = new RunCache({
      maxAgeMs: opts.liveCacheMs ?? 0,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  /**
   * Tells the store that `mutations` were committed (or tried) by this
   * process, so cached views of the runs they write are dropped. The store's
   * own commits call it; so must anyone committing store mutations elsewhere
   * (the actor runtime, through its `afterWrites` option).
   */
  noteWrites(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      if (m.kind === "check") continue;
      const id = this.keys.runIdOf(m.key);
      if (id === null) continue;
      this.#cache.invalidate(id);
      this.#loading.delete(id);
    }
  }

  /** Adds an observer of the writes that land (see `noteCommitted`). */
  observe(observer: StoreObserver): void {
    this.#observers.push(observer);
  }

  /**
   * Tells the observers about writes that landed: the store's own commits and
   * appends call it; so must anyone committing store keys elsewhere (the
   * actor runtime, through its `afterWrites` and `afterEvents` options).
   * An observer that throws is skipped: observing never fails a write.
   */
  noteCommitted(
    writes: readonly { kind?: string; key: Deno.KvKey; value?: unknown }[],
  ): void {
    if (this.#observers.length === 0) return;
    const batch: CommittedWrites = { runs: [], events: [] };
    for (const m of writes) {
      if (m.kind !== undefined && m.kind !== "set") continue;
      const eventRunId = this.keys.eventRunIdOf(m.key);
      if (eventRunId !== null) {
        const event = runEventSchema.safeParse(m.value);
        if (event.success) {
          batch.events.push({ runId: eventRunId, event: event.data });
        }
        continue;
      }
      if (this.keys.runIdOf(m.key) === null) continue;
      const run = writtenRunSchema.safeParse(m.value);
      if (run.success) batch.runs.push(run.data);
    }
    if (batch.runs.length === 0 && batch.events.length === 0) return;
    for (const observer of this.#observers) {
      try {
        observer(batch);
      } catch {
        // An observer's failure is its own; the write has landed.
      }
    }
  }

  /** Key of one event: the runtime writes `{ seq, ts, ...event }` here. */
  eventKey(runId: string, seq: string): Deno.KvKey {
    return [...this.keys.events(runId), seq];
  }

  /**
   * Appends one event outside an actor step: what a watcher should see while
   * a long step is still in flight (a model call's retries and progress).
   * Steps' own events get their seq when they commit, so they still sort
   * after these. Nothing is appended once the run has ended: a step still in
   * flight when its run was cancelled must not write after RUN_END (the check
   * and the append are one commit on the run record's versionstamp). Answers
   * whether the event was appended.
   */
  async appendEvent(runId: string, event: NewEvent): Promise<boolean> {
    const seq = nextSeq();
    const key = this.eventKey(runId, seq);
    const value = {
      seq,
      ts: new Date().toISOString(),
      level: event.level ?? "INFO",
      kind: event.kind,
      iteration: event.iteration ?? null,
      payload: event.payload ?? {},
    };
    // The record changes at each step's commit: a few tries always suffice.
    for (let attempt = 0; attempt < 8; attempt++) {
      const run = await this.kv.get<StoredRun>(this.keys.run(runId));
      if (run.value !== null && TERMINAL_STATUSES.has(run.value.status)) {
        return false;
      }
      const done = await this.kv.atomic().check(run).set(key, value).commit();
      if (done.ok) {
        this.noteCommitted([{ key, value }]);
        return true;
      }
    }
    return false;
  }

  /** Mutations creating a run (pure; commit them yourself, e.g. with the first actor message). */
  createRunMutations(
    record: RunRecord,
    opts: CreateRunOptions = {},
  ): Mutation[] {
    return createRunMutations(
      this.keys,
      (id, seq) => this.eventKey(id, seq),
      record,
      opts,
    );
  }

  /** Mutations updating a run from `prev` to `next` (pure). */
  updateRunMutations(
    prev: RunRecord,
    next: RunRecord,
    opts: UpdateRunOptions = {},
  ): Mutation[] {
    return updateRunMutations(this.keys, prev, next, opts);
  }

  /** Commits mutations atomically; ConflictError when a check fails. */
  async applyMutations(mutations: Mutation[]): Promise<void> {
    try {
      await applyMutations(this.kv, mutations);
    } finally {
      this.noteWrites(mutations);
    }
    this.noteCommitted(mutations);
  }

  /** The validated work order stored with run `id` (JSON), or null when none was stored. */
  async getWorkOrder(id: string): Promise<unknown | null> {
    return await readWorkOrder(this.kv, this.keys, id);
  }

  /** The run; NotFoundError when there is none. */
  async getRun(id: string): Promise<RunRecord> {
    const run = await this.findRun(id);
    if (run === null) throw runNotFound(id);
    return run;
  }

  /** The run as stored now, or null. Finished runs come from memory (they never change). */
  async findRun(id: string): Promise<RunRecord | null> {
    const cached = this.#cache.get(id);
    if (cached?.finished) return cached.run;
    return (await this.#read(id))?.run ?? null;
  }

  /**
   * The run for readers that accept the cache's bound (see run_cache.ts):
   * this process's own writes always show; another process's within the
   * store's `liveCacheMs`. `fresh` reads KV unless the run is finished.
   */
  async viewRun(
    id: string,
    opts: { fresh?: boolean } = {},
  ): Promise<RunView | null> {
    const cached = this.cachedRun(id);
    if (cached && (cached.finished || !opts.fresh)) return cached;
    return opts.fresh ? await this.#read(id) : await this.#load(id);
  }

  /** Like `viewRun`; NotFoundError when there is no such run. */
  async getRunView(
    id: string,
    opts: { fresh?: boolean } = {},
  ): Promise<RunView> {
    const view = await this.viewRun(id, opts);
    if (view === null) throw runNotFound(id);
    return view;
  }

  /**
   * What `viewRun` would answer from memory without reading KV, if anything.
   * A live view past half its life is re-read in the background meanwhile.
   */
  cachedRun(id: string): RunView | undefined {
    return this.#cache.get(id, this.#refresh);
  }

  readonly #refresh = (id: string): void => {
    if (this.#loading.has(id)) return;
    this.#load(id).catch(() => {/* the next reader retries */});
  };

  /** One read of `id` at a time; concurrent callers share it. */
  #load(id: string): Promise<RunView | null> {
    let loading = this.#loading.get(id);
    if (!loading) {
      const read = this.#read(id).finally(() => {
        if (this.#loading.get(id) === read) this.#loading.delete(id);
      });
      this.#loading.set(id, loading = read);
    }
    return loading;
  }

  async #read(id: string): Promise<RunView | null> {
    const token = this.#cache.token();
    const readAt = this.#cache.now();
    const entry = await this.kv.get<StoredRun>(this.keys.run(id));
    if (entry.value === null) return null;
    const run = await fromStored(this.kv, this.keys, entry.value);
    return this.#cache.offer(run, token, readAt);
  }

  /** The id of the run submitted with this Idempotency-Key, or null. */
  async getRunIdByIdempotencyKey(key: string): Promise<string | null> {
    checkIdempotencyKey(key);
    return (await this.kv.get<string>(this.keys.idempotency(key))).value;
  }

  /** Runs newest first (optionally of one status) from the indexes; total from the counters. */
  async listRuns(
    q: ListRunsQuery,
  ): Promise<{ runs: RunRecord[]; total: number }> {
    return await listRunsAt(this.kv, this.keys, q);
  }

  /** Per-status counts and the total, from the atomic counters. */
  async counts(): Promise<RunCounts> {
    return await countsAt(this.kv, this.keys);
  }

  /** A run's events ordered by seq; `after` is exclusive. */
  async listEvents(
    runId: string,
    q: ListEventsQuery = {},
  ): Promise<RunEvent[]> {
    return await listEventsAt(this.kv, this.keys.events(runId), q);
  }

  /** Stores or replaces an artifact; readers never see a partial one. */
  async putArtifact(
    runId: string,
    name: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<ArtifactMeta> {
    return await putArtifactAt(this.kv, this.keys, {
      runId,
      name,
      body,
      contentType,
    });
  }

  /** The journal `name` of a run (append-only JSON entries; see journal.ts). */
  journal<T>(runId: string, name: string): KvJournal<T> {
    return new KvJournal<T>(this.kv, this.keys.journal(runId, name));
  }

  /** Deletes artifact chunks no metadata points at, older than `minAgeMs` (see artifact_sweep.ts). */
  async sweepOrphanChunks(
    opts: { minAgeMs: number; now?: number },
  ): Promise<SweepResult> {
    return await sweepOrphanChunksAt(this.kv, this.keys, opts);
  }

  /** Deletes the journals of runs that ended or are gone (see journal_sweep.ts). */
  async sweepJournals(): Promise<JournalSweepResult> {
    return await sweepJournalsAt(this.kv, this.keys, (id) => this.findRun(id));
  }

  /** A run's artifacts sorted by name. */
  async listArtifacts(runId: string): Promise<ArtifactMeta[]> {
    return await listArtifactsAt(this.kv, this.keys, runId);
  }

  /** An artifact with its bytes; NotFoundError when missing. */
  async getArtifact(
    runId: string,
    name: string,
  ): Promise<{ meta: ArtifactMeta; body: Uint8Array }> {
    return await getArtifactAt(this.kv, this.keys, runId, name);
  }

  /** An artifact as a byte stream; NotFoundError when missing. */
  async streamArtifact(
    runId: string,
    name: string,
  ): Promise<{ meta: ArtifactMeta; stream: ReadableStream<Uint8Array> }> {
    return await streamArtifactAt(this.kv, this.keys, runId, name);
  }
}

function runNotFound(id: string): NotFoundError {
  return new NotFoundError(`Run '${id}' not found`);
}
