/** The run store: run records, indexes, counts, events and artifacts in Deno KV (DESIGN §4). */
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { Mutation } from "../../runtime/types.ts";
import {
  getArtifactAt,
  listArtifactsAt,
  putArtifactAt,
  streamArtifactAt,
} from "./artifacts.ts";
import { applyMutations } from "./commit.ts";
import {
  listEventsAt,
  type ListEventsQuery,
  type NewEvent,
  toRunEvent,
} from "./events.ts";
import { StoreKeys } from "./keys.ts";
import { fromStored, type StoredRun } from "./run_codec.ts";
import {
  checkIdempotencyKey,
  createRunMutations,
  type CreateRunOptions,
  updateRunMutations,
  type UpdateRunOptions,
} from "./run_mutations.ts";
import { nextSeq } from "./seq.ts";
import {
  type ArtifactMeta,
  RUN_STATUSES,
  type RunEvent,
  type RunRecord,
  type RunStatus,
} from "./types.ts";

/** Query of listRuns. */
export interface ListRunsQuery {
  limit: number;
  offset: number;
  status?: RunStatus;
}

/** Per-status run counts plus the total. */
export type RunCounts = Record<RunStatus, number> & { total: number };

const MAX_TRANSITION_ATTEMPTS = 200;

/** Reads and writes runs; every index is committed with the record it indexes. */
export class RunStore {
  /** Key layout of this store. */
  readonly keys: StoreKeys;

  constructor(readonly kv: Deno.Kv, prefix: Deno.KvKey = ["aos"]) {
    this.keys = new StoreKeys(prefix);
  }

  /** Key of one event: the runtime writes `{ seq, ts, ...event }` here. */
  eventKey(runId: string, seq: string): Deno.KvKey {
    return [...this.keys.events(runId), seq];
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
    await applyMutations(this.kv, mutations);
  }

  /** Creates a run; ConflictError if the id or the idempotency key is taken. */
  async createRun(
    record: RunRecord,
    opts: CreateRunOptions = {},
  ): Promise<RunRecord> {
    try {
      await this.applyMutations(this.createRunMutations(record, opts));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const reason = opts.idempotencyKey !== undefined &&
          await this.getRunIdByIdempotencyKey(opts.idempotencyKey) !== null
        ? `Idempotency-Key '${opts.idempotencyKey}' is already used`
        : `Run '${record.id}' already exists`;
      throw new ConflictError(reason, { cause: error });
    }
    return await this.getRun(record.id);
  }

  /** Commits `prev` → `next` without a version check (the caller serializes writers). */
  async updateRun(prev: RunRecord, next: RunRecord): Promise<RunRecord> {
    await this.applyMutations(this.updateRunMutations(prev, next));
    return await this.getRun(next.id);
  }

  /**
   * Applies `change` to the current record under a versionstamp check,
   * re-reading and retrying on a concurrent write. `change` returning null
   * (or the same object) leaves the run as it is. Returns the record as stored.
   */
  async transition(
    id: string,
    change: (prev: RunRecord) => RunRecord | null,
  ): Promise<RunRecord> {
    for (let attempt = 1;; attempt++) {
      const entry = await this.kv.get<StoredRun>(this.keys.run(id));
      if (entry.value === null) throw runNotFound(id);
      const prev = await fromStored(this.kv, this.keys, entry.value);
      const next = change(prev);
      if (next === null || next === prev) return prev;
      const mutations = this.updateRunMutations(prev, next, {
        expectVersionstamp: entry.versionstamp,
      });
      try {
        await this.applyMutations(mutations);
        return await this.getRun(id);
      } catch (error) {
        if (
          !(error instanceof ConflictError) ||
          attempt >= MAX_TRANSITION_ATTEMPTS
        ) throw error;
      }
    }
  }

  /** The run; NotFoundError when there is none. */
  async getRun(id: string): Promise<RunRecord> {
    const run = await this.findRun(id);
    if (run === null) throw runNotFound(id);
    return run;
  }

  /** The run, or null. */
  async findRun(id: string): Promise<RunRecord | null> {
    const entry = await this.kv.get<StoredRun>(this.keys.run(id));
    return entry.value === null
      ? null
      : await fromStored(this.kv, this.keys, entry.value);
  }

  /** The id of the run submitted with this Idempotency-Key, or null. */
  async getRunIdByIdempotencyKey(key: string): Promise<string | null> {
    checkIdempotencyKey(key);
    return (await this.kv.get<string>(this.keys.idempotency(key))).value;
  }

  /**
   * Runs newest first from the indexes: reads `offset + limit` index keys (no
   * values) and the `limit` records; `total` comes from the counters.
   */
  async listRuns(
    q: ListRunsQuery,
  ): Promise<{ runs: RunRecord[]; total: number }> {
    checkPage(q);
    const prefix = q.status === undefined
      ? this.keys.byTime()
      : this.keys.byStatus(q.status);
    const ids: string[] = [];
    let skipped = 0;
    const want = q.offset + q.limit;
    const iter = this.kv.list({ prefix }, {
      reverse: true,
      limit: want,
      batchSize: Math.min(want, 1000),
    });
    for await (const entry of iter) {
      if (skipped < q.offset) {
        skipped++;
        continue;
      }
      ids.push(entry.key[entry.key.length - 1] as string);
    }
    const runs: RunRecord[] = [];
    for (let i = 0; i < ids.length; i += 10) {
      const entries = await this.kv.getMany<StoredRun[]>(
        ids.slice(i, i + 10).map((id) => this.keys.run(id)),
      );
      for (const entry of entries) {
        if (entry.value !== null) {
          runs.push(await fromStored(this.kv, this.keys, entry.value));
        }
      }
    }
    const counts = await this.counts();
    return {
      runs,
      total: q.status === undefined ? counts.total : counts[q.status],
    };
  }

  /** Per-status counts and the total, from the atomic counters. */
  async counts(): Promise<RunCounts> {
    const names = [...RUN_STATUSES, "total"] as const;
    const entries = await this.kv.getMany<Deno.KvU64[]>(
      names.map((n) => this.keys.count(n)),
    );
    const counts = {} as RunCounts;
    names.forEach((name, i) => {
      counts[name] = Number(entries[i]?.value?.value ?? 0n);
    });
    return counts;
  }

  /** A run's events ordered by seq; `after` is exclusive. */
  async listEvents(
    runId: string,
    q: ListEventsQuery = {},
  ): Promise<RunEvent[]> {
    return await listEventsAt(this.kv, this.keys.events(runId), q);
  }

  /** Appends an event from outside the actor runtime. */
  async appendEvent(runId: string, event: NewEvent): Promise<RunEvent> {
    const seq = nextSeq();
    const value = {
      seq,
      ts: new Date().toISOString(),
      level: event.level ?? "INFO",
      kind: event.kind,
      iteration: event.iteration ?? null,
      payload: event.payload ?? {},
    };
    await this.kv.set(this.eventKey(runId, seq), value);
    return toRunEvent(seq, value);
  }

  /** Stores or replaces an artifact; readers never see a partial one. */
  async putArtifact(
    runId: string,
    name: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<ArtifactMeta> {
    return await putArtifactAt(
      this.kv,
      this.keys,
      runId,
      name,
      body,
      contentType,
    );
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

function checkPage(q: ListRunsQuery): void {
  const issues = [];
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) {
    issues.push({
      field: "limit",
      message: `Must be an integer from 1 to 1000, got '${q.limit}'`,
    });
  }
  if (!Number.isInteger(q.offset) || q.offset < 0) {
    issues.push({
      field: "offset",
      message: `Must be a non-negative integer, got '${q.offset}'`,
    });
  }
  if (q.status !== undefined && !RUN_STATUSES.includes(q.status)) {
    issues.push({
      field: "status",
      message: `Must be one of ${RUN_STATUSES.join(", ")}, got '${q.status}'`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}
