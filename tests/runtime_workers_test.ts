/** Three worker processes on one KV file share 1,000 messages; one is killed halfway. */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { ActorSystem, refTo } from "../runtime/mod.ts";
import { eventually, tempKv } from "../runtime/testing.ts";
import {
  counter,
  type CounterState,
  logKey,
} from "./runtime_fixtures/actors.ts";
import { startWorker, type Worker } from "./runtime_fixtures/spawn.ts";

const ACTORS = 20;
const PER_ACTOR = 50;
const TOTAL = ACTORS * PER_ACTOR;

Deno.test("three workers process 1,000 messages exactly once and in order while one is SIGKILLed", async () => {
  const t = await tempKv();
  const { kv, path } = t;
  let workers: Worker[] = [];
  try {
    workers = await Promise.all([
      startWorker(path),
      startWorker(path),
      startWorker(path),
    ]);
    const sender = new ActorSystem(kv, { logKey });
    await Promise.all(Array.from({ length: ACTORS }, async (_, a) => {
      for (let seq = 0; seq < PER_ACTOR; seq++) {
        await sender.send(refTo(counter, `c${a}`), {
          type: "add",
          n: a * PER_ACTOR + seq,
          seq,
          delayMs: 3,
        });
      }
    }));
    const handled = () =>
      workers.map((w) =>
        w.lines.filter((l) => l.startsWith("handling ")).length
      );
    await eventually(
      () => handled().reduce((a, b) => a + b, 0) >= TOTAL / 2 || undefined,
      30_000,
      "half the work",
    );
    const counts = handled();
    const victim = counts.indexOf(Math.max(...counts));
    await workers[victim]!.kill("SIGKILL");
    const effects = await eventually(
      async () => {
        const out: bigint[] = [];
        for await (const e of kv.list<Deno.KvU64>({ prefix: ["effect"] })) {
          out.push(e.value.value);
        }
        return out.length === TOTAL ? out : undefined;
      },
      40_000,
      "all 1,000 effects",
    );
    assert(
      effects.every((v) => v === 1n),
      "every effect committed exactly once",
    );
    let sum = 0;
    for (let a = 0; a < ACTORS; a++) {
      const state = await sender.getState<CounterState>({
        type: "counter",
        id: `c${a}`,
      });
      assertEquals(state, { next: PER_ACTOR, count: PER_ACTOR, violations: 0 });
      sum += state!.count;
    }
    assertEquals(sum, TOTAL);
    const survivors = workers.filter((_, i) => i !== victim);
    assert(
      survivors.every((w) => w.lines.some((l) => l.startsWith("handling "))),
      "the work was shared",
    );
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await t.cleanup();
  }
});
