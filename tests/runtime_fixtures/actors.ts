/** Generic actors the runtime's end-to-end tests run in worker processes. */
import { z } from "zod";
import { defineActor } from "../../runtime/mod.ts";

const counterMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("add"),
    n: z.number(),
    seq: z.number(),
    delayMs: z.number().optional(),
  }),
]);

/** State of a counter: the next expected per-actor sequence number, count and order violations. */
export interface CounterState {
  next: number;
  count: number;
  violations: number;
}

/** Counts messages; each one's committed effect is a sum at `["effect", n]`. */
export const counter = defineActor<
  CounterState,
  z.infer<typeof counterMessages>
>({
  type: "counter",
  messages: counterMessages,
  initialState: () => ({ next: 0, count: 0, violations: 0 }),
  handlers: {
    async add(ctx, msg) {
      console.log(`handling ${msg.n}`);
      if (msg.delayMs) await sleep(msg.delayMs, ctx.signal);
      ctx.write({ kind: "sum", key: ["effect", msg.n], value: 1n });
      ctx.setState({
        next: msg.seq + 1,
        count: ctx.state.count + 1,
        violations: ctx.state.violations + (msg.seq === ctx.state.next ? 0 : 1),
      });
    },
  },
});

const alarmMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("arm"), ms: z.number() }),
  z.object({ type: z.literal("fire") }),
]);

/** Arms a durable timer; records when it fired. */
export const alarm = defineActor<
  { armed: boolean; fired: number },
  z.infer<typeof alarmMessages>
>({
  type: "alarm",
  messages: alarmMessages,
  initialState: () => ({ armed: false, fired: 0 }),
  handlers: {
    arm(ctx, msg) {
      ctx.after(msg.ms, { type: "fire" });
      ctx.setState({ ...ctx.state, armed: true });
    },
    fire(ctx) {
      console.log("fired");
      ctx.setState({ ...ctx.state, fired: ctx.state.fired + 1 });
    },
  },
});

const hangerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hang") }),
]);

/** Waits until its signal aborts. */
export const hanger = defineActor<
  { finished: boolean },
  z.infer<typeof hangerMessages>
>({
  type: "hanger",
  messages: hangerMessages,
  initialState: () => ({ finished: false }),
  handlers: {
    async hang(ctx) {
      console.log(`hanging ${ctx.self.id}`);
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true })
      );
      console.log(`aborted ${ctx.self.id}`);
      ctx.setState({ finished: true });
    },
  },
});

/** Sleeps `ms`, waking early (and throwing) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Log key of the fixtures. */
export function logKey(
  owner: { type: string; id: string },
  seq: string,
): Deno.KvKey {
  return ["log", owner.type, owner.id, seq];
}

const failerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("fail") }),
]);

/** Always throws; retried 3 times with 300 ms base backoff, then dead-lettered. */
export const failer = defineActor<
  { attempts: number },
  z.infer<typeof failerMessages>
>({
  type: "failer",
  messages: failerMessages,
  initialState: () => ({ attempts: 0 }),
  retry: { maxAttempts: 3, baseDelayMs: 300 },
  handlers: {
    fail(ctx) {
      console.log(`attempt ${ctx.attempt}`);
      throw new Error(`Failure number ${ctx.attempt}`);
    },
  },
});
