/** How a step that did not simply succeed ends: retry, dead letter, drop, or a lost lease. */
import type { Core } from "./core.ts";
import { TerminalError } from "./errors.ts";
import { createContext, type StepEffects } from "./context.ts";
import type { ActorRecord, CommitSpec, MailEntry } from "./records.ts";
import {
  type AnyDefinition,
  insertEntry,
  removeEntry,
  type Slot,
} from "./slot.ts";
import {
  deadLetterSpec,
  dropSpec,
  retrySpec,
  successSpec,
} from "./step_commit.ts";
import { isTransient, retryTransient } from "./transient.ts";
import type { DeadLetter, Mutation } from "./types.ts";

const DEFAULT_RETRY: NonNullable<AnyDefinition["retry"]> = {
  maxAttempts: 3,
  baseDelayMs: 200,
};
const MAX_ERROR_CHARS = 4000;
/** Backoff cap of redeliveries after transient storage errors. */
const MAX_TRANSIENT_DELAY_MS = 5000;
/** Redeliveries after transient storage errors before they count as attempts. */
const MAX_TRANSIENT_RETRIES = 120;

/** After a failed commit: true if the lease is still ours, else drops the slot. */
export async function stillLeased(core: Core, slot: Slot): Promise<boolean> {
  const lease = await retryTransient(() =>
    core.kv.get(core.keys.lease(slot.ref))
  );
  if (lease.versionstamp === slot.leaseVs) return true;
  core.log(
    `Lost the lease of ${slot.ref.type}/${slot.ref.id}; its step is discarded`,
  );
  core.dropSlot(slot, "lost");
  core.hooks.claim(slot.ref, null, false);
  return false;
}

/**
 * A handler threw (or its commit conflicted): schedule a retry or dead-letter
 * it. A transient storage error ("database is locked" from another process)
 * says nothing about the message, so it is redelivered with backoff without
 * using up the message's attempts.
 */
export async function failStep(
  core: Core,
  slot: Slot,
  entry: MailEntry,
  error: unknown,
): Promise<void> {
  const policy = slot.def.retry ?? DEFAULT_RETRY;
  const terminal = error instanceof TerminalError;
  // Bounded all the same (about ten minutes of backoff), so an error that
  // only looks transient cannot keep a message alive forever.
  const transient = !terminal && isTransient(error) &&
    (entry.transientRetries ?? 0) <
      (policy.maxTransientRetries ?? MAX_TRANSIENT_RETRIES);
  if (!transient && (terminal || entry.attempt >= policy.maxAttempts)) {
    return await deadLetter(core, slot, entry, describe(error));
  }
  const transientRetries = (entry.transientRetries ?? 0) + (transient ? 1 : 0);
  const delay = transient
    ? Math.min(
      MAX_TRANSIENT_DELAY_MS,
      policy.baseDelayMs * 2 ** Math.min(10, transientRetries - 1),
    ) * (0.5 + Math.random())
    : policy.baseDelayMs * 2 ** (entry.attempt - 1);
  const next: MailEntry = {
    ...entry,
    attempt: transient ? entry.attempt : entry.attempt + 1,
    due: Date.now() + delay,
    error: describe(error),
    ...(transientRetries > 0 ? { transientRetries } : {}),
  };
  if (transient) {
    core.log(
      `Transient storage error in ${slot.ref.type}/${slot.ref.id} (${
        describe(error)
      }); redelivering ${entry.id} in ${Math.round(delay)} ms`,
    );
  }
  const result = await core.committer.submit(
    retrySpec(core.env, slot, next),
  );
  if (result.ok) {
    slot.commits++;
    insertEntry(slot.queue, next);
  } else if (result.error) {
    await deadLetter(core, slot, entry, describe(error));
  } else {
    await stillLeased(core, slot);
  }
}

/**
 * Moves an entry to the dead letters, with what the actor's `onDeadLetter`
 * did in the same commit, and reports it.
 */
export async function deadLetter(
  core: Core,
  slot: Slot,
  entry: MailEntry,
  error: string,
): Promise<void> {
  const dl: DeadLetter = {
    actor: { type: slot.ref.type, id: slot.ref.id },
    messageId: entry.id,
    message: entry.kind === "spawn" ? { spawn: entry.init } : entry.msg,
    error: error.slice(0, MAX_ERROR_CHARS),
    attempts: entry.attempt,
    at: new Date().toISOString(),
  };
  let reaction = await deadLetterReaction(core, slot, entry, dl);
  let result = await core.committer.submit(
    reaction?.spec ?? deadLetterSpec(core.env, slot, entry, dl),
  );
  if (reaction && !result.ok && result.error) {
    core.log(
      `Dead letter ${entry.id} with its onDeadLetter effects failed (${
        describe(result.error)
      }); committing it without them`,
    );
    reaction = null;
    result = await core.committer.submit(
      deadLetterSpec(core.env, slot, entry, dl),
    );
  }
  if (reaction && reaction.effects.writes.length > 0) {
    afterWrites(core, reaction.effects.writes, result.ok);
  }
  if (!result.ok && result.error) {
    // The message itself may be what broke a limit: record it without the body.
    dl.message = {
      type: entry.msg?.type ?? "(spawn)",
      omitted: "too large to record",
    };
    result = await core.committer.submit(
      deadLetterSpec(core.env, slot, entry, dl),
    );
  }
  if (result.ok) {
    slot.commits++;
    removeEntry(slot.queue, entry.id);
    if (reaction) {
      slot.record = reaction.record;
      const { effects } = reaction;
      for (const s of effects.sends) {
        core.deliver(s.to, s.entry, result.versionstamp);
      }
      for (const t of effects.timers) core.hooks.timerAdded(t.due);
      for (const ref of effects.cancels) core.cancelled(ref);
    }
    core.log(
      `Dead letter ${entry.id} for ${slot.ref.type}/${slot.ref.id}: ${dl.error}`,
    );
    try {
      core.opts.onDeadLetter(dl);
    } catch (cbError) {
      core.log(`onDeadLetter threw: ${describe(cbError)}`);
    }
  } else if (!result.error) {
    await stillLeased(core, slot);
  } else {
    core.log(
      `Could not dead-letter ${entry.id}: ${describe(result.error)}`,
    );
    core.dropSlot(slot, "lost");
  }
}

/** Runs the definition's `onDeadLetter`; its effects as one spec with the dead letter, or null. */
async function deadLetterReaction(
  core: Core,
  slot: Slot,
  entry: MailEntry,
  dl: DeadLetter,
): Promise<
  { spec: CommitSpec; record: ActorRecord; effects: StepEffects } | null
> {
  const hook = slot.def.onDeadLetter;
  if (!hook) return null;
  const owner = slot.record?.owner ?? entry.owner ?? slot.ref;
  try {
    const state = slot.record
      ? slot.record.state
      : slot.def.initialState(entry.kind === "spawn" ? entry.init : undefined);
    const effects = await retryTransient(async () => {
      const run = createContext({
        self: slot.ref,
        owner,
        messageId: entry.id,
        attempt: entry.attempt,
        state,
        // Its effects land only with the dead letter, checked against the lease.
        signal: new AbortController().signal,
      });
      try {
        await hook(run.ctx, dl);
      } finally {
        run.seal();
      }
      return run.effects;
    });
    const { spec, record } = successSpec(core.env, slot, entry, owner, effects);
    spec.mutations.push({
      kind: "set",
      key: core.keys.deadLetter(entry.id),
      value: dl,
    });
    return { spec, record, effects };
  } catch (error) {
    core.log(
      `onDeadLetter of ${slot.ref.type}/${slot.ref.id} threw (${
        describe(error)
      }); dead-lettering ${entry.id} without its effects`,
    );
    return null;
  }
}

function afterWrites(
  core: Core,
  writes: readonly Mutation[],
  committed: boolean,
): void {
  try {
    core.opts.afterWrites(writes, committed);
  } catch (error) {
    core.log(`afterWrites threw: ${describe(error)}`);
  }
}

/** Deletes entries without handling them (stopped actor, spawn of an existing one). */
export async function dropEntries(
  core: Core,
  slot: Slot,
  entries: MailEntry[],
): Promise<void> {
  const result = await core.committer.submit(
    dropSpec(core.env, slot, entries),
  );
  if (result.ok) {
    slot.commits++;
    for (const e of entries) removeEntry(slot.queue, e.id);
  } else if (!result.error) {
    await stillLeased(core, slot);
  } else {
    core.dropSlot(slot, "lost");
  }
}

/** An error as one line for logs and dead letters. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
