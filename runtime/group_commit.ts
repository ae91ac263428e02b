/**
 * Group commit: specs submitted while a commit is in flight are packed into
 * the next atomic operation (within KV limits). Each spec stays all or
 * nothing: when a packed commit fails, its specs are retried one by one, so a
 * failed check only fails the spec that carried it. A spec never shares a
 * commit with one that writes a key it checks (or checks a key it writes):
 * KV evaluates all checks before any write, so such a pair would both pass.
 */
import {
  addSpec,
  KV_LIMITS,
  limitError,
  type SpecSize,
  specSize,
} from "./atomic.ts";
import type { CommitOutcome, CommitSpec } from "./records.ts";
import { retryTransient } from "./transient.ts";

interface Waiting {
  spec: CommitSpec;
  size: SpecSize;
  checked: string[];
  written: string[];
  resolve: (outcome: CommitOutcome) => void;
}

/** How many of its latest commits' versionstamps a committer remembers. */
const RECENT = 64;

/** Leave headroom: the byte size is an estimate. */
const BATCH_BYTES = Math.floor(KV_LIMITS.bytes * 0.7);

/** Packs concurrently submitted specs into shared atomic commits. */
export class GroupCommitter {
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #queues = true;
  /** Called once if a commit with enqueues failed and queues were turned off. */
  onQueuesUnavailable: (error: unknown) => void = () => {};
  /** Number of atomic operations sent (for tests and benchmarks). */
  commits = 0;
  /** Versionstamps of the latest successful commits, oldest first. */
  #recent: string[] = [];

  constructor(
    private readonly kv: Deno.Kv,
    private readonly maxInFlight = 1,
    private readonly maxSpecs = 1000,
  ) {}

  /** Commits `spec` (possibly together with others); never throws. */
  submit(spec: CommitSpec): Promise<CommitOutcome> {
    const size = specSize(spec);
    const tooBig = limitError(size);
    if (tooBig) {
      return Promise.resolve({ ok: false, error: new RangeError(tooBig) });
    }
    const checked = spec.checks.map((c) => keyId(c.key));
    const written: string[] = [];
    for (const m of spec.mutations) {
      (m.kind === "check" ? checked : written).push(keyId(m.key));
    }
    return new Promise((resolve) => {
      this.#waiting.push({ spec, size, checked, written, resolve });
      this.#pump();
    });
  }

  /** True if `versionstamp` is one of the last `RECENT` commits sent from here. */
  committedHere(versionstamp: string): boolean {
    return this.#recent.includes(versionstamp);
  }

  #committed(versionstamp: string): void {
    this.#recent.push(versionstamp);
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  /** Resolves once nothing is waiting or in flight. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0 || this.#waiting.length > 0) {
      await new Promise<void>((r) => this.#idle.push(r));
    }
  }

  #pump(): void {
    while (this.#inFlight < this.maxInFlight && this.#waiting.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (this.#inFlight === 0 && this.#waiting.length === 0) {
          for (const r of this.#idle.splice(0)) r();
        }
      });
    }
  }

  #take(): Waiting[] {
    const batch: Waiting[] = [];
    let checks = 0, mutations = 0, bytes = 0;
    const checked = new Set<string>();
    const written = new Set<string>();
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!;
      if (
        batch.length > 0 &&
        (batch.length >= this.maxSpecs ||
          (checks + next.size.checks > KV_LIMITS.checks ||
            mutations + next.size.mutations > KV_LIMITS.mutations ||
            bytes + next.size.bytes > BATCH_BYTES ||
            next.written.some((k) => checked.has(k)) ||
            next.checked.some((k) => written.has(k))))
      ) break;
      this.#waiting.shift();
      batch.push(next);
      checks += next.size.checks;
      mutations += next.size.mutations;
      bytes += next.size.bytes;
      for (const k of next.checked) checked.add(k);
      for (const k of next.written) written.add(k);
    }
    return batch;
  }

  async #run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      only.resolve(await this.#commitOne(only.spec));
      return;
    }
    try {
      const result = await retryTransient(() => {
        const op = this.kv.atomic();
        for (const w of batch) addSpec(op, w.spec, this.#queues);
        this.commits++;
        return op.commit();
      });
      if (result.ok) {
        this.#committed(result.versionstamp);
        for (const w of batch) {
          w.resolve({ ok: true, versionstamp: result.versionstamp });
        }
        return;
      }
    } catch {
      // A limit the estimate missed: fall through to one commit per spec.
    }
    const outcomes = await Promise.all(
      batch.map((w) => this.#commitOne(w.spec)),
    );
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
  }

  async #commitOne(spec: CommitSpec): Promise<CommitOutcome> {
    try {
      const result = await retryTransient(() => {
        const op = this.kv.atomic();
        addSpec(op, spec, this.#queues);
        this.commits++;
        return op.commit();
      });
      if (!result.ok) return { ok: false };
      this.#committed(result.versionstamp);
      return { ok: true, versionstamp: result.versionstamp };
    } catch (error) {
      if (this.#queues && spec.enqueues.length > 0) {
        // Enqueues are only wake-ups: if the commit works without them (KV Connect has no queues), drop them.
        this.#queues = false;
        const retry = await this.#commitOne(spec);
        if (retry.ok || !retry.error) this.onQueuesUnavailable(error);
        else this.#queues = true;
        return retry.ok || !retry.error ? retry : {
          ok: false,
          error: error instanceof Error ? error : new Error(String(error)),
        };
      }
      return {
        ok: false,
        error: error instanceof Error ? error : new Error(String(error)),
      };
    }
  }
}

/** A string identity for a KV key. */
function keyId(key: Deno.KvKey): string {
  let id = "";
  for (const part of key) {
    id += (part instanceof Uint8Array
      ? `u:${Array.from(part).join(",")}`
      : `${typeof part}:${String(part)}`) +
      "\u0001";
  }
  return id;
}
