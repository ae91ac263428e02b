/** The `ctx` a handler gets: it only records effects; the step commit applies them. */
import type { MailEntry } from "./records.ts";
import { nextSeq } from "./seq.ts";
import { actorRef } from "./ref.ts";
import type {
  ActorAddress,
  ActorContext,
  ActorRef,
  LogEvent,
  Message,
  Mutation,
} from "./types.ts";

/** Everything a handler asked for, committed together after it returns. */
export interface StepEffects {
  state: unknown;
  sends: { to: ActorAddress; entry: MailEntry }[];
  events: { seq: string; event: LogEvent }[];
  timers: { due: number; entry: MailEntry }[];
  writes: Mutation[];
  cancels: ActorAddress[];
  stop: boolean;
}

/** Inputs of one handler invocation. */
export interface ContextInput {
  self: ActorAddress;
  owner: ActorAddress;
  messageId: string;
  attempt: number;
  state: unknown;
  signal: AbortSignal;
}

/** Creates a context and the effects it records; `seal()` makes later calls throw. */
export function createContext<S, M extends Message>(
  input: ContextInput,
): { ctx: ActorContext<S, M>; effects: StepEffects; seal: () => void } {
  const effects: StepEffects = {
    state: input.state,
    sends: [],
    events: [],
    timers: [],
    writes: [],
    cancels: [],
    stop: false,
  };
  let sealed = false;
  const open = (what: string) => {
    if (sealed) {
      throw new Error(
        `Cannot call ctx.${what} after the handler of "${input.messageId}" returned`,
      );
    }
  };
  const send = (to: ActorAddress, msg: Message) => {
    open("send");
    effects.sends.push({
      to: { type: to.type, id: to.id },
      entry: { id: nextSeq(), kind: "msg", msg, attempt: 1 },
    });
  };
  const self = actorRef<M>(input.self.type, input.self.id);
  const ctx: ActorContext<S, M> = {
    self,
    owner: input.owner,
    messageId: input.messageId,
    attempt: input.attempt,
    get state() {
      return effects.state as S;
    },
    setState(next: S) {
      open("setState");
      effects.state = next;
    },
    send,
    sendSelf(msg: M) {
      send(input.self, msg);
    },
    spawn<T extends Message>(ref: ActorRef<T>, init: unknown): ActorRef<T> {
      open("spawn");
      effects.sends.push({
        to: { type: ref.type, id: ref.id },
        entry: {
          id: nextSeq(),
          kind: "spawn",
          init,
          owner: input.owner,
          attempt: 1,
        },
      });
      return ref;
    },
    emit(event: LogEvent) {
      open("emit");
      effects.events.push({ seq: nextSeq(), event });
    },
    after(ms: number, msg: M) {
      open("after");
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(
          `Timer delay must be a finite number of ms >= 0, got "${ms}"`,
        );
      }
      effects.timers.push({
        due: Date.now() + ms,
        entry: { id: nextSeq(), kind: "msg", msg, attempt: 1 },
      });
    },
    write(...mutations: Mutation[]) {
      open("write");
      effects.writes.push(...mutations);
    },
    signal: input.signal,
    cancel(ref: ActorAddress) {
      open("cancel");
      effects.cancels.push({ type: ref.type, id: ref.id });
    },
    stop() {
      open("stop");
      effects.stop = true;
    },
  };
  return { ctx, effects, seal: () => (sealed = true) };
}
