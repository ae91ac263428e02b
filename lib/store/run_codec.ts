/**
 * How a RunRecord is stored. KV values are capped at 64 KiB, so:
 * - a long work order text (over INLINE_MD_CHARS) is deflated into parts under
 *   `run_md`, written once with the record (it never changes);
 * - `error` and `result_summary` are capped (head kept, with a marker), so an
 *   update can never produce a value KV refuses.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ValidationError } from "../errors.ts";
import type { Mutation } from "../../runtime/mod.ts";
import type { StoreKeys } from "./keys.ts";
import type { RunRecord } from "./types.ts";

/** Work orders up to this many characters are stored inside the record. */
export const INLINE_MD_CHARS = 12_000;
/** Cap for `error` and `result_summary`. */
export const TEXT_FIELD_CHARS = 4_000;
const PART_BYTES = 60 * 1024;
/** Compressed work orders above this cannot be committed atomically with the run. */
export const MAX_STORED_MD_BYTES = 640 * 1024;

/** The value at the `run` key. */
export interface StoredRun extends Omit<RunRecord, "work_order_md"> {
  /** Inline text, or null when kept in `md_parts` parts. */
  work_order_md: string | null;
  md_parts: number;
}

/** Cuts a long text to `max` characters, marking how much was dropped. */
export function capText(
  text: string | null,
  max = TEXT_FIELD_CHARS,
): string | null {
  if (text === null || text.length <= max) return text;
  const marker = ` … [truncated ${text.length - max} characters]`;
  return text.slice(0, max - marker.length) + marker;
}

/** Applies the storage caps to a record (what readers will get back). */
export function normalizeRecord(record: RunRecord): RunRecord {
  return {
    ...record,
    title: capText(record.title, 1_000),
    repo: capText(record.repo, 4_000) ?? "",
    error: capText(record.error),
    result_summary: capText(record.result_summary),
  };
}

/** The stored form of `record` whose work order is stored as `md` decided. */
export function toStored(record: RunRecord): StoredRun {
  const normal = normalizeRecord(record);
  const inline = normal.work_order_md.length <= INLINE_MD_CHARS;
  const parts = inline ? 0 : splitParts(deflate(normal.work_order_md)).length;
  return {
    ...normal,
    work_order_md: inline ? normal.work_order_md : null,
    md_parts: parts,
  };
}

/** Mutations writing the parts of a long work order (none for a short one). */
export function mdPartMutations(
  keys: StoreKeys,
  record: RunRecord,
): Mutation[] {
  if (record.work_order_md.length <= INLINE_MD_CHARS) return [];
  const packed = deflate(record.work_order_md);
  if (packed.length > MAX_STORED_MD_BYTES) {
    throw new ValidationError([{
      field: "work_order_md",
      message:
        `Work order is too large to store (${packed.length} bytes compressed, limit ${MAX_STORED_MD_BYTES})`,
    }]);
  }
  return splitParts(packed).map((part, i) => ({
    kind: "set",
    key: [...keys.runMd(record.id), i],
    value: part,
  }));
}

/**
 * Mutations storing a run's validated work order as deflated JSON parts, so
 * the actors read it instead of parsing the markdown again. `mdBytes` is what
 * the markdown parts of the same commit already take.
 */
export function workOrderMutations(
  keys: StoreKeys,
  id: string,
  workOrder: unknown,
  mdBytes: number,
): Mutation[] {
  const packed = deflate(JSON.stringify(workOrder));
  if (packed.length + mdBytes > MAX_STORED_MD_BYTES) {
    throw new ValidationError([{
      field: "work_order_md",
      message: `Work order is too large to store (${
        packed.length + mdBytes
      } bytes compressed with its validated form, limit ${MAX_STORED_MD_BYTES})`,
    }]);
  }
  return splitParts(packed).map((part, i) => ({
    kind: "set",
    key: [...keys.runWorkOrder(id), i],
    value: part,
  }));
}

/** The validated work order stored with a run, or null for a run stored without one. */
export async function readWorkOrder(
  kv: Deno.Kv,
  keys: StoreKeys,
  id: string,
): Promise<unknown | null> {
  const chunks: Uint8Array[] = [];
  for await (
    const entry of kv.list<Uint8Array>({ prefix: keys.runWorkOrder(id) })
  ) {
    chunks.push(entry.value);
  }
  if (chunks.length === 0) return null;
  return JSON.parse(new TextDecoder().decode(inflateRawSync(concat(chunks))));
}

/** Rebuilds a record, reading work order parts when they are stored apart. */
export async function fromStored(
  kv: Deno.Kv,
  keys: StoreKeys,
  stored: StoredRun,
): Promise<RunRecord> {
  const { md_parts, work_order_md, ...stored_ } = stored;
  // Records written before pull requests existed have no pull_request_url,
  // those written before the detail counts no cached or reasoning tokens.
  const rest = {
    ...stored_,
    pull_request_url: stored_.pull_request_url ?? null,
    usage: {
      ...stored_.usage,
      cached_tokens: stored_.usage.cached_tokens ?? 0,
      reasoning_tokens: stored_.usage.reasoning_tokens ?? 0,
    },
  };
  if (work_order_md !== null) return { ...rest, work_order_md };
  const chunks: Uint8Array[] = [];
  for await (
    const entry of kv.list<Uint8Array>({ prefix: keys.runMd(stored.id) })
  ) {
    chunks.push(entry.value);
  }
  if (chunks.length !== md_parts) {
    throw new Error(`Stored work order of run '${stored.id}' is incomplete`);
  }
  const text = new TextDecoder().decode(inflateRawSync(concat(chunks)));
  return { ...rest, work_order_md: text };
}

function deflate(text: string): Uint8Array {
  return new Uint8Array(deflateRawSync(new TextEncoder().encode(text)));
}

function splitParts(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += PART_BYTES) {
    parts.push(bytes.slice(at, at + PART_BYTES));
  }
  return parts;
}

/** Joins byte chunks into one array. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
