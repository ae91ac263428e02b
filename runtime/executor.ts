/** The drive loop: one message at a time per actor, each step ending in one commit. */
import { createContext } from "./context.ts";
import type { Core } from "./core.ts";
import type { ActorRecord, MailEntry } from "./records.ts";
import { insertEntry, removeEntry, type Slot } from "./slot.ts";
import { createSpec, successSpec } from "./step_commit.ts";
import {
  deadLetter,
  describe,
  dropEntries,
  failStep,
  stillLeased,
} from "./settle.ts";
import { isTransient, listValues, retryTransient } from "./transient.ts";
import type { Message, Mutation } from "./types.ts";

/** Runs the steps of owned actors. */
export class Executor {
  constructor(private readonly core: Core) {}

  /** Starts the loop of `slot` unless it already runs (a running loop sees new mail). */
  drive(slot: Slot): void {
    if (slot.driving || slot.dropped || this.core.stopping) return;
    slot.driving = this.#loop(slot).catch((error) => {
      this.core.log(
        `Actor ${slot.ref.type}/${slot.ref.id} loop failed: ${describe(error)}`,
      );
      this.core.dropSlot(slot, "lost");
    }).finally(() => {
      slot.driving = null;
      slot.lastActive = Date.now();
      // Mail delivered (or announced by a wake hint) after the loop saw an
      // empty queue but before this settled found `driving` still set;
      // nothing else would run it (the scanner skips a slot whose counter it
      // already knows).
      if (
        (slot.queue.length > 0 || slot.needsReload) && slot.dueTimer === null
      ) this.drive(slot);
    });
  }

  async #loop(slot: Slot): Promise<void> {
    while (!slot.dropped && !this.core.stopping) {
      if (slot.needsReload) await this.#reload(slot);
      const entry = slot.queue[0];
      if (!entry) return;
      const wait = (entry.due ?? 0) - Date.now();
      if (wait > 0) {
        if (slot.dueTimer !== null) clearTimeout(slot.dueTimer);
        slot.dueTimer = setTimeout(() => {
          slot.dueTimer = null;
          this.drive(slot);
        }, wait);
        return;
      }
      await this.#step(slot, entry);
    }
  }

  /** Merges the mailbox as stored into the queue (runs inside the loop, so nothing is consumed meanwhile). */
  async #reload(slot: Slot): Promise<void> {
    slot.needsReload = false;
    const known = slot.reloadPendingVs;
    slot.reloadPendingVs = null;
    const { kv, keys } = this.core;
    const entries = await retryTransient(() =>
      listValues<MailEntry>(kv, keys.mailbox(slot.ref), 1000)
    );
    for (const entry of entries) insertEntry(slot.queue, entry);
    slot.knownPendingVs = known;
  }

  async #step(slot: Slot, entry: MailEntry): Promise<void> {
    const { def } = slot;
    if (entry.kind === "spawn") {
      if (slot.record) return await dropEntries(this.core, slot, [entry]);
      let record: ActorRecord;
      try {
        record = {
          state: def.initialState(entry.init),
          owner: entry.owner ?? slot.ref,
        };
      } catch (error) {
        return await deadLetter(
          this.core,
          slot,
          entry,
          `Initial state failed: ${describe(error)}`,
        );
      }
      await this.#commit(
        slot,
        entry,
        createSpec(this.core.env, slot, entry, record),
        record,
      );
      return;
    }
    if (slot.record?.stopped) {
      return await dropEntries(this.core, slot, slot.queue.slice(0, 500));
    }
    const parsed = def.messages.safeParse(entry.msg);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) =>
        `${i.path.join(".") || "(root)"}: ${i.message}`
      );
      return await deadLetter(
        this.core,
        slot,
        entry,
        `Message failed validation: ${issues.join("; ")}`,
      );
    }
    const msg = parsed.data as Message;
    const handler = (def.handlers as Record<string, unknown>)[msg.type];
    if (typeof handler !== "function") {
      return await deadLetter(
        this.core,
        slot,
        entry,
        `No handler for message type "${msg.type}"`,
      );
    }
    const controller = new AbortController();
    slot.controller = controller;
    slot.abortReason = null;
    const sentAt = sentTime(entry);
    let outcome: { ok: true; run: ReturnType<typeof createContext> } | {
      ok: false;
      error: unknown;
    };
    if (sentAt !== null) {
      this.#observe(() =>
        this.core.opts.onDispatch(slot.ref.type, Date.now() - sentAt)
      );
    }
    if (def.heavy) await this.core.heavy.acquire();
    await this.core.general.acquire();
    try {
      const record = slot.record ??
        { state: def.initialState(undefined), owner: slot.ref };
      const run = createContext({
        self: slot.ref,
        owner: record.owner,
        messageId: entry.id,
        attempt: entry.attempt,
        state: record.state,
        signal: controller.signal,
      });
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        await untilAbandoned(
          handler(run.ctx, msg),
          controller.signal,
          this.core.opts.abortGraceMs,
          () =>
            this.core.log(
              `Actor ${slot.ref.type}/${slot.ref.id}: the handler of "${msg.type}" ignored its abort for ${this.core.opts.abortGraceMs} ms; its slot is freed and its step discarded`,
            ),
        );
        outcome = { ok: true, run };
      } finally {
        run.seal();
      }
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      this.core.general.release();
      if (def.heavy) this.core.heavy.release();
      slot.controller = null;
    }
    if (controller.signal.aborted) {
      // Stop: the message stays and is redone later. Cancel or lost lease: the step is discarded.
      if (slot.abortReason !== "stop") {
        this.core.dropSlot(slot, slot.abortReason ?? "lost");
      }
      return;
    }
    if (!outcome.ok) {
      return await failStep(this.core, slot, entry, outcome.error);
    }
    const owner = slot.record?.owner ?? slot.ref;
    const { spec, record, logged } = successSpec(
      this.core.env,
      slot,
      entry,
      owner,
      outcome.run.effects,
    );
    const effects = outcome.run.effects;
    let vs: string | null = null;
    try {
      vs = await this.#commit(slot, entry, spec, record);
    } finally {
      if (effects.writes.length > 0) {
        this.#afterWrites(effects.writes, vs !== null);
      }
    }
    if (vs === null) return;
    if (logged.length > 0) {
      this.#observe(() => this.core.opts.afterEvents(logged));
    }
    for (const s of effects.sends) this.core.deliver(s.to, s.entry, vs);
    for (const t of effects.timers) this.core.hooks.timerAdded(t.due);
    for (const ref of effects.cancels) this.core.cancelled(ref);
  }

  #afterWrites(writes: readonly Mutation[], committed: boolean): void {
    this.#observe(() => this.core.opts.afterWrites(writes, committed));
  }

  /** Runs an observer hook; one that throws is logged, never fails the step. */
  #observe(hook: () => void): void {
    try {
      hook();
    } catch (error) {
      this.core.log(`An observer hook threw: ${describe(error)}`);
    }
  }

  /** Commits a step; on success updates the slot and returns the versionstamp. */
  async #commit(
    slot: Slot,
    entry: MailEntry,
    spec: Parameters<Core["committer"]["submit"]>[0],
    record: ActorRecord,
  ): Promise<string | null> {
    const result = await this.core.committer.submit(spec);
    if (result.ok) {
      slot.record = record;
      slot.commits++;
      removeEntry(slot.queue, entry.id);
      return result.versionstamp;
    }
    if (result.error && isTransient(result.error)) {
      // Still locked after the committer's retries: redo the message later.
      await failStep(this.core, slot, entry, result.error);
      return null;
    }
    if (result.error) {
      await deadLetter(
        this.core,
        slot,
        entry,
        `Step commit failed: ${describe(result.error)}`,
      );
      return null;
    }
    if (await stillLeased(this.core, slot)) {
      await failStep(
        this.core,
        slot,
        entry,
        new Error("Step commit conflict: a checked key changed concurrently"),
      );
    }
    return null;
  }
}

/**
 * When a message was sent (its time-ordered id, see seq.ts) or fell due,
 * whichever is later; null for a redelivery, whose wait says nothing about
 * the dispatcher.
 */
function sentTime(entry: MailEntry): number | null {
  if (entry.attempt !== 1 || entry.transientRetries) return null;
  const ms = Number(entry.id.slice(0, 13));
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.max(ms, entry.due ?? 0);
}

/**
 * Waits for a handler; once `signal` aborts, waits at most `graceMs` more and
 * then gives up on it (an await that never returns — a hung read, a lost
 * socket — must not hold a worker slot for ever). A handler given up on is
 * left to settle on its own; its context is sealed, so nothing it does later
 * lands.
 */
async function untilAbandoned(
  handled: Promise<void> | void,
  signal: AbortSignal,
  graceMs: number,
  onAbandon: () => void,
): Promise<void> {
  if (!(handled instanceof Promise)) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => {
        onAbandon();
        // Whatever it ends with later is of no interest; it must not go unhandled.
        handled.catch(() => {});
        reject(signal.reason);
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([handled, abandoned]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
