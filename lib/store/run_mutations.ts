/**
 * Pure builders of the mutations that create and update a run: the record and
 * every index and counter it affects go into the same atomic commit.
 *
 * Counters are KvU64 values changed with `sum`; a decrement is a sum of
 * 2^64-1 (KvU64 arithmetic wraps). Every decrement of a status counter follows
 * the increment that put the run into that status, so counts stay exact and
 * never wrap below zero.
 */
import { ConflictError, ValidationError } from "../errors.ts";
import type { Mutation } from "../../runtime/mod.ts";
import { MINUS_ONE } from "./commit.ts";
import type { StoreKeys } from "./keys.ts";
import { mdPartMutations, toStored, workOrderMutations } from "./run_codec.ts";
import { nextSeq } from "./seq.ts";
import { type RunRecord, TERMINAL_STATUSES } from "./types.ts";

/** Options of createRunMutations. */
export interface CreateRunOptions {
  /** Claims this key for the run; the commit fails if another run holds it. */
  idempotencyKey?: string;
  /** Sequence of the RUN_CREATED event (default: a fresh `nextSeq()`). */
  createdEventSeq?: string;
  /** The validated work order (JSON), stored beside the markdown for the actors. */
  workOrder?: unknown;
}

/** Options of updateRunMutations. */
export interface UpdateRunOptions {
  /** Fails the commit unless the stored record is still at this versionstamp. */
  expectVersionstamp?: string;
}

/** Throws ValidationError unless `key` is a usable Idempotency-Key. */
export function checkIdempotencyKey(key: string): void {
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ValidationError([{
      field: "Idempotency-Key",
      message: "Must be 1 to 200 visible ASCII characters",
    }]);
  }
}

/** Mutations that create `record` with its indexes, counters and RUN_CREATED event. */
export function createRunMutations(
  keys: StoreKeys,
  eventKey: (runId: string, seq: string) => Deno.KvKey,
  record: RunRecord,
  opts: CreateRunOptions = {},
): Mutation[] {
  const id = record.id;
  const seq = opts.createdEventSeq ?? nextSeq();
  const mdParts = mdPartMutations(keys, record);
  const mdBytes = mdParts.reduce(
    (n, m) => n + (m.kind === "set" ? (m.value as Uint8Array).length : 0),
    0,
  );
  const mutations: Mutation[] = [
    { kind: "check", key: keys.run(id), versionstamp: null },
    { kind: "set", key: keys.run(id), value: toStored(record) },
    ...mdParts,
    ...(opts.workOrder === undefined
      ? []
      : workOrderMutations(keys, id, opts.workOrder, mdBytes)),
    { kind: "set", key: [...keys.byTime(), id], value: null },
    { kind: "set", key: [...keys.byStatus(record.status), id], value: null },
    { kind: "sum", key: keys.count(record.status), value: 1n },
    { kind: "sum", key: keys.count("total"), value: 1n },
    {
      kind: "set",
      key: eventKey(id, seq),
      value: {
        seq,
        ts: record.created_at,
        level: "INFO",
        kind: "RUN_CREATED",
        iteration: null,
        payload: {
          repo: record.repo,
          clone_branch: record.clone_branch,
          ...(record.parent_run_id
            ? { parent_run_id: record.parent_run_id }
            : {}),
          ...(record.schedule_id ? { schedule_id: record.schedule_id } : {}),
        },
      },
    },
  ];
  if (opts.idempotencyKey !== undefined) {
    checkIdempotencyKey(opts.idempotencyKey);
    const key = keys.idempotency(opts.idempotencyKey);
    mutations.push(
      { kind: "check", key, versionstamp: null },
      { kind: "set", key, value: id },
    );
  }
  return mutations;
}

/**
 * Mutations that turn `prev` into `next`: the record, and on a status change
 * the move between status indexes and counters. `work_order_md` is immutable
 * (the stored text of `prev` is kept). Throws ConflictError when `prev` is
 * terminal and `next` changes its status.
 */
export function updateRunMutations(
  keys: StoreKeys,
  prev: RunRecord,
  next: RunRecord,
  opts: UpdateRunOptions = {},
): Mutation[] {
  if (prev.id !== next.id) {
    throw new TypeError(
      `Cannot update run '${prev.id}' with the record of '${next.id}'`,
    );
  }
  if (TERMINAL_STATUSES.has(prev.status) && next.status !== prev.status) {
    throw new ConflictError(
      `Run '${prev.id}' is ${prev.status} and cannot become ${next.status}`,
    );
  }
  const id = prev.id;
  const mutations: Mutation[] = [];
  if (opts.expectVersionstamp !== undefined) {
    mutations.push({
      kind: "check",
      key: keys.run(id),
      versionstamp: opts.expectVersionstamp,
    });
  }
  mutations.push({
    kind: "set",
    key: keys.run(id),
    value: toStored({ ...next, work_order_md: prev.work_order_md }),
  });
  if (next.status !== prev.status) {
    mutations.push(
      { kind: "delete", key: [...keys.byStatus(prev.status), id] },
      { kind: "set", key: [...keys.byStatus(next.status), id], value: null },
      { kind: "sum", key: keys.count(prev.status), value: MINUS_ONE },
      { kind: "sum", key: keys.count(next.status), value: 1n },
    );
  }
  return mutations;
}
