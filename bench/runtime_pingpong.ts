/**
 * Benchmarks (a) and (b): ping-pong between two actors through the runtime,
 * and the same ping-pong where every hop is a KV queue message (naive baseline).
 */
import { z } from "zod";
import { ActorSystem, defineActor, refTo } from "../runtime/mod.ts";
import { benchKv, percentile } from "./runtime_stats.ts";

/** Figures of one ping-pong benchmark. */
export interface HopFigures {
  hops: number;
  p50Ms: number;
  p99Ms: number;
  hopsPerSec: number;
}

const ballMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ball"), n: z.number() }),
]);

function figures(stamps: number[]): HopFigures {
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const total = stamps[stamps.length - 1]! - stamps[0]!;
  return {
    hops: gaps.length,
    p50Ms: percentile(gaps, 50),
    p99Ms: percentile(gaps, 99),
    hopsPerSec: gaps.length / (total / 1000),
  };
}

/** (a) Two actors pass a ball `hops` times; a hop is handler start to the next handler start, commit included. */
export async function benchActorPingPong(
  hops = 5000,
  warmup = 200,
): Promise<HopFigures> {
  const { kv, close } = await benchKv();
  const stamps: number[] = [];
  const last = warmup + hops;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const player = defineActor<{ n: number }, z.infer<typeof ballMessages>>({
    type: "player",
    messages: ballMessages,
    initialState: () => ({ n: 0 }),
    handlers: {
      ball(ctx, msg) {
        if (msg.n >= warmup) stamps.push(performance.now());
        ctx.setState({ n: msg.n });
        if (msg.n === last) return resolve();
        ctx.send(refTo(player, ctx.self.id === "a" ? "b" : "a"), {
          type: "ball",
          n: msg.n + 1,
        });
      },
    },
  });
  const system = new ActorSystem(kv, {
    logKey: (o, seq) => ["log", o.type, o.id, seq],
  });
  system.register(player);
  try {
    await system.start();
    await system.send(refTo(player, "a"), { type: "ball", n: 0 });
    await done;
  } finally {
    await system.stop();
    await close();
  }
  return figures(stamps);
}

/** (b) The naive design: every hop is `kv.enqueue` in the state commit, picked up by `kv.listenQueue`. */
export async function benchQueuePingPong(hops = 40): Promise<HopFigures> {
  const { kv, close } = await benchKv();
  const stamps: number[] = [];
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const listener = kv.listenQueue(async (value: unknown) => {
    const { n, to } = value as { n: number; to: string };
    stamps.push(performance.now());
    if (n === hops) return resolve();
    const op = kv.atomic().set(["naive", to], n).enqueue({
      n: n + 1,
      to: to === "a" ? "b" : "a",
    });
    await op.commit();
  });
  try {
    await kv.enqueue({ n: 0, to: "a" });
    await done;
  } finally {
    await close();
    await listener;
  }
  return figures(stamps);
}
