/** The drive loop: one message at a time per actor, each step ending in one commit. */
import { createContext } from "./context.ts";
import type { Core } from "./core.ts";
import type { ActorRecord, MailEntry } from "./records.ts";
import { insertEntry, removeEntry, type Slot } from "./slot.ts";
import {
  createSpec,
  deadLetterSpec,
  dropSpec,
  retrySpec,
  successSpec,
} from "./step_commit.ts";
import { listValues, retryTransient } from "./transient.ts";
import type { DeadLetter, Message } from "./types.ts";

const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 200 };
const MAX_ERROR_CHARS = 4000;

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
    const { kv, keys } = this.core;
    const pending = await retryTransient(() => kv.get(keys.pending(slot.ref)));
    const entries = await retryTransient(() =>
      listValues<MailEntry>(kv, keys.mailbox(slot.ref), 1000)
    );
    for (const entry of entries) insertEntry(slot.queue, entry);
    slot.knownPendingVs = pending.versionstamp;
  }

  async #step(slot: Slot, entry: MailEntry): Promise<void> {
    const { def } = slot;
    if (entry.kind === "spawn") {
      if (slot.record) return await this.#drop(slot, [entry]);
      let record: ActorRecord;
      try {
        record = {
          state: def.initialState(entry.init),
          owner: entry.owner ?? slot.ref,
        };
      } catch (error) {
        return await this.#deadLetter(
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
      return await this.#drop(slot, slot.queue.slice(0, 500));
    }
    const parsed = def.messages.safeParse(entry.msg);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) =>
        `${i.path.join(".") || "(root)"}: ${i.message}`
      );
      return await this.#deadLetter(
        slot,
        entry,
        `Message failed validation: ${issues.join("; ")}`,
      );
    }
    const msg = parsed.data as Message;
    const handler = (def.handlers as Record<string, unknown>)[msg.type];
    if (typeof handler !== "function") {
      return await this.#deadLetter(
        slot,
        entry,
        `No handler for message type "${msg.type}"`,
      );
    }
    const controller = new AbortController();
    slot.controller = controller;
    slot.abortReason = null;
    let outcome: { ok: true; run: ReturnType<typeof createContext> } | {
      ok: false;
      error: unknown;
    };
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
        await handler(run.ctx, msg);
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
    if (!outcome.ok) return await this.#failed(slot, entry, outcome.error);
    const owner = slot.record?.owner ?? slot.ref;
    const { spec, record } = successSpec(
      this.core.env,
      slot,
      entry,
      owner,
      outcome.run.effects,
    );
    const effects = outcome.run.effects;
    const vs = await this.#commit(slot, entry, spec, record);
    if (vs === null) return;
    for (const s of effects.sends) this.core.deliver(s.to, s.entry, vs);
    for (const t of effects.timers) this.core.hooks.timerAdded(t.due);
    for (const ref of effects.cancels) this.core.cancelled(ref);
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
    if (result.error) {
      await this.#deadLetter(
        slot,
        entry,
        `Step commit failed: ${describe(result.error)}`,
      );
      return null;
    }
    if (await this.#stillLeased(slot)) {
      await this.#failed(
        slot,
        entry,
        new Error("Step commit conflict: a checked key changed concurrently"),
      );
    }
    return null;
  }

  /** After a failed commit: true if the lease is still ours, else drops the slot. */
  async #stillLeased(slot: Slot): Promise<boolean> {
    const lease = await retryTransient(() =>
      this.core.kv.get(this.core.keys.lease(slot.ref))
    );
    if (lease.versionstamp === slot.leaseVs) return true;
    this.core.log(
      `Lost the lease of ${slot.ref.type}/${slot.ref.id}; its step is discarded`,
    );
    this.core.dropSlot(slot, "lost");
    this.core.hooks.claim(slot.ref, null, false);
    return false;
  }

  async #failed(slot: Slot, entry: MailEntry, error: unknown): Promise<void> {
    const policy = slot.def.retry ?? DEFAULT_RETRY;
    const terminal = error instanceof Error && error.name === "TerminalError";
    if (terminal || entry.attempt >= policy.maxAttempts) {
      return await this.#deadLetter(slot, entry, describe(error));
    }
    const next: MailEntry = {
      ...entry,
      attempt: entry.attempt + 1,
      due: Date.now() + policy.baseDelayMs * 2 ** (entry.attempt - 1),
      error: describe(error),
    };
    const result = await this.core.committer.submit(
      retrySpec(this.core.env, slot, next),
    );
    if (result.ok) {
      slot.commits++;
      insertEntry(slot.queue, next);
    } else if (result.error) {
      await this.#deadLetter(slot, entry, describe(error));
    } else {
      await this.#stillLeased(slot);
    }
  }

  async #deadLetter(
    slot: Slot,
    entry: MailEntry,
    error: string,
  ): Promise<void> {
    const dl: DeadLetter = {
      actor: slot.ref,
      messageId: entry.id,
      message: entry.kind === "spawn" ? { spawn: entry.init } : entry.msg,
      error: error.slice(0, MAX_ERROR_CHARS),
      attempts: entry.attempt,
      at: new Date().toISOString(),
    };
    let result = await this.core.committer.submit(
      deadLetterSpec(this.core.env, slot, entry, dl),
    );
    if (!result.ok && result.error) {
      // The message itself may be what broke a limit: record it without the body.
      dl.message = {
        type: entry.msg?.type ?? "(spawn)",
        omitted: "too large to record",
      };
      result = await this.core.committer.submit(
        deadLetterSpec(this.core.env, slot, entry, dl),
      );
    }
    if (result.ok) {
      slot.commits++;
      removeEntry(slot.queue, entry.id);
      this.core.log(
        `Dead letter ${entry.id} for ${slot.ref.type}/${slot.ref.id}: ${dl.error}`,
      );
      try {
        this.core.opts.onDeadLetter(dl);
      } catch (cbError) {
        this.core.log(`onDeadLetter threw: ${describe(cbError)}`);
      }
    } else if (!result.error) {
      await this.#stillLeased(slot);
    } else {
      this.core.log(
        `Could not dead-letter ${entry.id}: ${describe(result.error)}`,
      );
      this.core.dropSlot(slot, "lost");
    }
  }

  async #drop(slot: Slot, entries: MailEntry[]): Promise<void> {
    const result = await this.core.committer.submit(
      dropSpec(this.core.env, slot, entries),
    );
    if (result.ok) {
      slot.commits++;
      for (const e of entries) removeEntry(slot.queue, e.id);
    } else if (!result.error) {
      await this.#stillLeased(slot);
    } else {
      this.core.dropSlot(slot, "lost");
    }
  }
}

/** An error as one line for logs and dead letters. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
