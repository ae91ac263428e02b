/**
 * Benchmark (c): RUNS runs started at once, each a no-op SE -> TR -> PO loop of
 * ITERATIONS iterations over three generic actors; every step is one durable
 * atomic step commit before the next step runs.
 */
import { z } from "zod";
import { actorRef, ActorSystem, defineActor } from "../runtime/mod.ts";
import { benchKv } from "./runtime_stats.ts";

/** Figures of the loop benchmark. */
export interface LoopFigures {
  runs: number;
  iterations: number;
  steps: number;
  ms: number;
  stepsPerSec: number;
  commits: number;
}

const stepMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("step"), iteration: z.number() }),
]);
type StepMsg = z.infer<typeof stepMessages>;

/** Opens the KV a benchmark runs on; `close()` disposes of it. */
export type BenchKvOpener = () => Promise<
  { kv: Deno.Kv; close: () => Promise<void> }
>;

/** Runs the loop on a fresh KV (a SQLite file unless `open` says otherwise). */
export async function benchLoop(
  runs = 200,
  iterations = 5,
  groupCommit = true,
  open: BenchKvOpener = benchKv,
): Promise<LoopFigures> {
  const { kv, close } = await open();
  let finished = 0;
  let steps = 0;
  const { promise: done, resolve } = Promise.withResolvers<void>();
  const stage = (
    type: string,
    next: (iteration: number) => { type: string; iteration: number } | null,
  ) =>
    defineActor<{ steps: number }, StepMsg>({
      type,
      messages: stepMessages,
      initialState: () => ({ steps: 0 }),
      handlers: {
        step(ctx, msg) {
          steps++;
          ctx.setState({ steps: ctx.state.steps + 1 });
          const to = next(msg.iteration);
          if (to) {
            ctx.send(actorRef<StepMsg>(to.type, ctx.self.id), {
              type: "step",
              iteration: to.iteration,
            });
          } else if (++finished === runs) resolve();
        },
      },
    });
  const system = new ActorSystem(kv, {
    logKey: (o, seq) => ["log", o.type, o.id, seq],
    groupCommit,
  });
  system.register(stage("se", (i) => ({ type: "tr", iteration: i })));
  system.register(stage("tr", (i) => ({ type: "po", iteration: i })));
  system.register(
    stage(
      "po",
      (i) => (i < iterations ? { type: "se", iteration: i + 1 } : null),
    ),
  );
  let ms: number;
  let commits: number;
  try {
    await system.start();
    const before = system.commits;
    const started = performance.now();
    await Promise.all(
      Array.from(
        { length: runs },
        (_, i) =>
          system.send(actorRef<StepMsg>("se", `run-${i}`), {
            type: "step",
            iteration: 1,
          }),
      ),
    );
    await done;
    ms = performance.now() - started;
    commits = system.commits - before;
  } finally {
    await system.stop();
    await close();
  }
  // Runs were driven by durable commits only if every step left its state behind.
  if (steps !== runs * iterations * 3) {
    throw new Error(
      `Expected ${runs * iterations * 3} steps, counted ${steps}`,
    );
  }
  return {
    runs,
    iterations,
    steps,
    ms,
    stepsPerSec: steps / (ms / 1000),
    commits,
  };
}
