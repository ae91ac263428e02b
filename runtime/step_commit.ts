/** Builds the one atomic commit that ends each kind of step. */
import { nextSeq } from "./seq.ts";
import type { StepEffects } from "./context.ts";
import { refId, type RuntimeKeys } from "./keys.ts";
import type {
  ActorRecord,
  CommitSpec,
  LeaseRecord,
  MailEntry,
  TimerRecord,
  WakeHint,
} from "./records.ts";
import type { Slot } from "./slot.ts";
import type {
  ActorAddress,
  DeadLetter,
  LoggedEvent,
  Mutation,
} from "./types.ts";

/** What the committer needs besides the slot. */
export interface SpecEnv {
  keys: RuntimeKeys;
  logKey: (owner: ActorAddress, seq: string) => Deno.KvKey;
  /** Value of queue wake-ups, or null when queues are off. */
  wake: unknown | null;
  watch: boolean;
}

/** Mutations delivering `entry` into `to`'s mailbox. */
export function deliveryMutations(
  keys: RuntimeKeys,
  to: ActorAddress,
  entry: MailEntry,
): Mutation[] {
  return [
    { kind: "set", key: keys.mail(to, entry.id), value: entry },
    { kind: "sum", key: keys.pending(to), value: 1n },
  ];
}

/** Recipients named in one wake hint; a commit sending to more names none. */
export const MAX_WAKE_TARGETS = 16;

/** The watch-mode wake-up of a commit delivering mail to `to`: the counter and the `WakeHint`. */
export function wakeMutations(
  keys: RuntimeKeys,
  to: readonly ActorAddress[],
): Mutation[] {
  const hint: WakeHint = {
    to: to.length > MAX_WAKE_TARGETS ? [] : to.map(refId),
  };
  return [
    { kind: "sum", key: keys.wake(), value: 1n },
    { kind: "set", key: keys.wakeHint(), value: hint },
  ];
}

/** The lease value marking an actor cancelled. */
export function cancelledLease(): LeaseRecord {
  return { worker: null, cancelled: true, at: Date.now() };
}

/** Commit of a handler that returned: consume, new state, outgoing mail, events, timers, writes. */
export function successSpec(
  env: SpecEnv,
  slot: Slot,
  entry: MailEntry,
  owner: ActorAddress,
  effects: StepEffects,
): { spec: CommitSpec; record: ActorRecord; logged: LoggedEvent[] } {
  const { keys } = env;
  const record: ActorRecord = { state: effects.state, owner };
  const logged: LoggedEvent[] = [];
  if (effects.stop || slot.record?.stopped) record.stopped = true;
  const mutations: Mutation[] = [
    { kind: "delete", key: keys.mail(slot.ref, entry.id) },
    { kind: "set", key: keys.actor(slot.ref), value: record },
  ];
  for (const s of effects.sends) {
    mutations.push(...deliveryMutations(keys, s.to, s.entry));
  }
  const ts = new Date().toISOString();
  for (const e of effects.events) {
    // The seq is taken now, not at emit: a reader following the log "after
    // seq X" must never meet an event that commits later with a smaller seq
    // (something else may append while a long handler runs).
    const seq = nextSeq();
    const event: LoggedEvent = {
      key: env.logKey(owner, seq),
      value: { seq, ts, ...e.event },
    };
    logged.push(event);
    mutations.push({ kind: "set", key: event.key, value: event.value });
  }
  const enqueues: CommitSpec["enqueues"] = [];
  for (const t of effects.timers) {
    const timer: TimerRecord = { to: slot.ref, entry: t.entry };
    mutations.push({
      kind: "set",
      key: keys.timer(t.due, t.entry.id),
      value: timer,
    });
    if (env.wake !== null) {
      enqueues.push({ value: env.wake, delay: t.due - Date.now() });
    }
  }
  mutations.push(...effects.writes);
  for (const ref of effects.cancels) {
    mutations.push({
      kind: "set",
      key: keys.lease(ref),
      value: cancelledLease(),
    });
  }
  if (env.watch && effects.sends.length > 0) {
    mutations.push(...wakeMutations(keys, effects.sends.map((s) => s.to)));
  }
  return {
    spec: {
      checks: [{ key: keys.lease(slot.ref), versionstamp: slot.leaseVs }],
      mutations,
      enqueues,
    },
    record,
    logged,
  };
}

/** Commit of the spawn entry that creates the actor's record. */
export function createSpec(
  env: SpecEnv,
  slot: Slot,
  entry: MailEntry,
  record: ActorRecord,
): CommitSpec {
  return {
    checks: [{ key: env.keys.lease(slot.ref), versionstamp: slot.leaseVs }],
    mutations: [
      { kind: "delete", key: env.keys.mail(slot.ref, entry.id) },
      { kind: "set", key: env.keys.actor(slot.ref), value: record },
    ],
    enqueues: [],
  };
}

/** Commit dropping entries (spawn of an existing actor, mail of a stopped one). */
export function dropSpec(
  env: SpecEnv,
  slot: Slot,
  entries: MailEntry[],
): CommitSpec {
  return {
    checks: [{ key: env.keys.lease(slot.ref), versionstamp: slot.leaseVs }],
    mutations: entries.map((e) => ({
      kind: "delete",
      key: env.keys.mail(slot.ref, e.id),
    })),
    enqueues: [],
  };
}

/** Commit putting a failed entry back with a later due time and one more attempt. */
export function retrySpec(
  env: SpecEnv,
  slot: Slot,
  next: MailEntry,
): CommitSpec {
  return {
    checks: [{ key: env.keys.lease(slot.ref), versionstamp: slot.leaseVs }],
    mutations: [{
      kind: "set",
      key: env.keys.mail(slot.ref, next.id),
      value: next,
    }],
    enqueues: env.wake !== null && next.due !== undefined
      ? [{ value: env.wake, delay: next.due - Date.now() }]
      : [],
  };
}

/** Commit moving an entry to the dead letters. */
export function deadLetterSpec(
  env: SpecEnv,
  slot: Slot,
  entry: MailEntry,
  dl: DeadLetter,
): CommitSpec {
  return {
    checks: [{ key: env.keys.lease(slot.ref), versionstamp: slot.leaseVs }],
    mutations: [
      { kind: "delete", key: env.keys.mail(slot.ref, entry.id) },
      { kind: "set", key: env.keys.deadLetter(entry.id), value: dl },
    ],
    enqueues: [],
  };
}
