/**
 * Cross-process message hop: two actors in two processes on one KV pass a
 * ball back and forth; each process holds one actor's lease, so every hop is
 * a commit in one process and a wake-up in the other (NOTIFY → watch → scan
 * on Postgres; the 200 ms scan on a SQLite file, which notifies no other
 * process). A hop is one handler's start to the other's, on the host clock
 * both processes share. The child is this file run as a script.
 */
import { z } from "zod";
import { closeKv, openKv } from "../lib/store/mod.ts";
import { ActorSystem, defineActor, refTo } from "../runtime/mod.ts";
import { percentile } from "./runtime_stats.ts";

const ballMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ball"), n: z.number() }),
]);

/** Figures of the cross-process hop. */
export interface CrossHopFigures {
  /** Hops that crossed processes (the figures are theirs). */
  hops: number;
  /** Hops that stayed in one process (after a takeover), left out. */
  local: number;
  p50Ms: number;
  p99Ms: number;
}

const now = () => performance.timeOrigin + performance.now();

/** A system holding `self` ("a" or "b"); balls are passed to the other; `onBall` sees each arrival. */
async function player(
  kvPath: string,
  self: "a" | "b",
  last: number,
  onBall: (n: number, at: number) => void,
): Promise<
  { serve(n: number): Promise<string>; close(): Promise<void> }
> {
  const kv = await openKv(kvPath);
  const held = Promise.withResolvers<void>();
  const def = defineActor<{ n: number }, z.infer<typeof ballMessages>>({
    type: "player",
    messages: ballMessages,
    initialState: () => ({ n: 0 }),
    handlers: {
      ball(ctx, msg) {
        // A negative ball only takes the lease: the actor then lives here.
        if (msg.n < 0) return held.resolve();
        onBall(msg.n, now());
        ctx.setState({ n: msg.n });
        if (msg.n < last) {
          ctx.send(refTo(def, self === "a" ? "b" : "a"), {
            type: "ball",
            n: msg.n + 1,
          });
        }
      },
    },
  });
  const system = new ActorSystem(kv, {
    logKey: (o, seq) => ["log", o.type, o.id, seq],
    watch: /^postgres/.test(kvPath),
    // Each process keeps its actor: no takeover when a loaded machine delays
    // a heartbeat, no release between balls.
    leaseMs: 30_000,
    idleReleaseMs: 60_000,
  });
  system.register(def);
  await system.start();
  await system.send(refTo(def, self), { type: "ball", n: -1 });
  await held.promise;
  return {
    serve: (n) => system.send(refTo(def, self), { type: "ball", n }),
    async close() {
      await system.stop();
      await closeKv(kv);
    },
  };
}

/** Runs `hops` hops (after `warmup`) between this process and a child on `kvPath`. */
export async function benchCrossProcessHop(
  kvPath: string,
  hops: number,
  warmup = 20,
): Promise<CrossHopFigures> {
  const last = warmup + hops;
  const arrivals = new Map<number, number>();
  // Which process handled each ball: a takeover (a lease lapsing under load)
  // would move both actors into one process and make hops local.
  const inChild = new Set<number>();
  const done = Promise.withResolvers<void>();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-kv",
      new URL(import.meta.url).pathname,
      kvPath,
      String(last),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const childReady = Promise.withResolvers<void>();
  void (async () => {
    let buffer = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === "ready") childReady.resolve();
        const [n, at] = line.split(" ").map(Number);
        if (line !== "ready" && n !== undefined && at !== undefined) {
          arrivals.set(n, at);
          inChild.add(n);
          if (n === last) done.resolve();
        }
      }
    }
  })();
  // The child holds "b" before this process starts (its start-up scan would
  // otherwise claim "b" too).
  await childReady.promise;
  const here = await player(kvPath, "a", last, (n, at) => {
    arrivals.set(n, at);
    if (n === last) done.resolve();
  });
  try {
    // Ball 0 starts at "a" (here); odd balls arrive at "b" (the child).
    await here.serve(0);
    await done.promise;
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await here.close();
  }
  const gaps: number[] = [];
  for (let n = warmup + 1; n <= last; n++) {
    // Only hops between the two processes count.
    if (inChild.has(n) === inChild.has(n - 1)) continue;
    gaps.push(arrivals.get(n)! - arrivals.get(n - 1)!);
  }
  return {
    hops: gaps.length,
    local: hops - gaps.length,
    p50Ms: percentile(gaps, 50),
    p99Ms: percentile(gaps, 99),
  };
}

if (import.meta.main) {
  const [kvPath, lastArg] = Deno.args;
  if (!kvPath || !lastArg) {
    throw new Error("Usage: cross_process_hop.ts KV_PATH LAST");
  }
  const encoder = new TextEncoder();
  const out = (line: string) =>
    Deno.stdout.writeSync(encoder.encode(`${line}\n`));
  const there = await player(
    kvPath,
    "b",
    Number(lastArg),
    (n, at) => out(`${n} ${at}`),
  );
  out("ready");
  Deno.addSignalListener("SIGTERM", async () => {
    await there.close();
    Deno.exit(0);
  });
}
