/**
 * The runtime across real worker processes on one KV file: SIGKILL mid-handler
 * then restart, timers surviving a restart, cancellation from another process.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { ActorSystem, refTo } from "../runtime/mod.ts";
import { eventually, tempKv } from "../runtime/testing.ts";
import {
  alarm,
  counter,
  type CounterState,
  failer,
  hanger,
  logKey,
} from "./runtime_fixtures/actors.ts";
import { startWorker, type Worker } from "./runtime_fixtures/spawn.ts";

async function withKv(
  fn: (kv: Deno.Kv, path: string, workers: Worker[]) => Promise<void>,
): Promise<void> {
  const t = await tempKv();
  const { kv, path } = t;
  const workers: Worker[] = [];
  try {
    await fn(kv, path, workers);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await t.cleanup();
  }
}

async function effects(kv: Deno.Kv): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  for await (const e of kv.list<Deno.KvU64>({ prefix: ["effect"] })) {
    out.set(Number(e.key[1]), e.value.value);
  }
  return out;
}

Deno.test("SIGKILL of a worker mid-handler, then restart: every message's effect is committed exactly once", async () => {
  await withKv(async (kv, path, workers) => {
    const sender = new ActorSystem(kv, { logKey });
    const actors = 4, perActor = 10;
    for (let seq = 0; seq < perActor; seq++) {
      await Promise.all(
        Array.from(
          { length: actors },
          (_, a) =>
            sender.send(refTo(counter, `c${a}`), {
              type: "add",
              n: a * perActor + seq,
              seq,
              delayMs: 30,
            }),
        ),
      );
    }
    const first = await startWorker(path);
    workers.push(first);
    await first.waitFor(/^handling /, 12);
    await first.kill("SIGKILL");
    const done = await effects(kv);
    assert(
      done.size < actors * perActor,
      "the kill came before the work was finished",
    );
    const second = await startWorker(path);
    workers.push(second);
    const all = await eventually(
      async () => {
        const e = await effects(kv);
        return e.size === actors * perActor ? e : undefined;
      },
      30_000,
      "all effects",
    );
    assert(
      [...all.values()].every((v) => v === 1n),
      `effects: ${
        JSON.stringify([...all.entries()].map(([k, v]) => [k, Number(v)]))
      }`,
    );
    for (let a = 0; a < actors; a++) {
      const state = await sender.getState<CounterState>({
        type: "counter",
        id: `c${a}`,
      });
      assertEquals(state, { next: perActor, count: perActor, violations: 0 });
    }
    const redone = second.lines.filter((l) => l.startsWith("handling ")).length;
    assert(
      redone >= actors * perActor - done.size,
      "the restarted worker did the rest",
    );
  });
});

Deno.test("a durable timer armed before SIGKILL fires once after restart", async () => {
  await withKv(async (kv, path, workers) => {
    const sender = new ActorSystem(kv, { logKey });
    const ref = refTo(alarm, "a1");
    const first = await startWorker(path);
    workers.push(first);
    await sender.send(ref, { type: "arm", ms: 400 });
    await eventually(() =>
      sender.getState<{ armed: boolean }>(ref).then((s) =>
        s?.armed || undefined
      )
    );
    await first.kill("SIGKILL");
    assertEquals(first.lines.includes("fired"), false);
    const second = await startWorker(path);
    workers.push(second);
    await second.waitFor(/^fired$/);
    await eventually(() =>
      sender.getState<{ fired: number }>(ref).then((s) =>
        s?.fired === 1 || undefined
      )
    );
    for await (const _ of kv.list({ prefix: ["rt", "timer"] })) {
      throw new Error("Timer still stored after firing");
    }
  });
});

Deno.test("cancel() from another process aborts the handler running in a worker and drops its mail", async () => {
  await withKv(async (kv, path, workers) => {
    const sender = new ActorSystem(kv, { logKey });
    const ref = refTo(hanger, "h1");
    const worker = await startWorker(path);
    workers.push(worker);
    await sender.send(ref, { type: "hang" });
    await sender.send(ref, { type: "hang" });
    await worker.waitFor(/^hanging h1$/);
    await sender.cancel(ref);
    await worker.waitFor(/^aborted h1$/);
    await eventually(
      async () => {
        for await (
          const _ of kv.list({ prefix: ["rt", "mail", "hanger", "h1"] })
        ) return undefined;
        return true;
      },
      10_000,
      "mail dropped",
    );
    assertEquals(
      await sender.getState(ref),
      null,
      "the aborted step is discarded",
    );
    assertEquals(worker.lines.filter((l) => l === "hanging h1").length, 1);
  });
});

Deno.test("retries are durable: a worker killed during backoff resumes at the next attempt, then dead-letters", async () => {
  await withKv(async (kv, path, workers) => {
    const sender = new ActorSystem(kv, { logKey });
    const first = await startWorker(path);
    workers.push(first);
    const id = await sender.send(refTo(failer, "f1"), {
      type: "fail",
    });
    await first.waitFor(/^attempt 1$/);
    // The backoff is durable: the entry was rewritten for attempt 2 before the kill.
    await eventually(() =>
      kv.get<{ attempt: number }>(["rt", "mail", "failer", "f1", id]).then((
        e,
      ) => e.value?.attempt === 2 || undefined)
    );
    await first.kill("SIGKILL");
    const second = await startWorker(path);
    workers.push(second);
    const [dl] = await eventually(
      async () => {
        const dls = await sender.deadLetters();
        return dls.length > 0 ? dls : undefined;
      },
      20_000,
      "the dead letter",
    );
    assertEquals(dl!.messageId, id);
    assertEquals(dl!.attempts, 3);
    assert(dl!.error.includes("Failure number 3"), dl!.error);
    const attempts = [...first.lines, ...second.lines].filter((l) =>
      l.startsWith("attempt ")
    );
    assert(attempts.indexOf("attempt 3") > attempts.indexOf("attempt 2"));
    assertEquals(attempts.filter((l) => l === "attempt 3").length, 1);
    assertEquals(second.lines.includes("attempt 3"), true);
    assertEquals(
      second.lines.includes("attempt 1"),
      false,
      "the restarted worker did not start over",
    );
  });
});
