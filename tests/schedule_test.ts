/**
 * Scheduled runs end to end: POST /schedules refuses a bad cron, time zone or
 * work order naming it; a due slot fires one run with `schedule_id`; a slot
 * while that run is active is skipped (SCHEDULE_SKIPPED in its log); slots
 * missed while no process ran fire once at start-up; two service processes
 * on one KV fire a slot once. The scheduler's clock is injected (the
 * schedule's slots are leap days, years apart, so the service's own
 * real-time scheduler never fires them); the two-process test uses a
 * seconds-level slot a few seconds ahead on the real clock.
 */
import assert from "node:assert/strict";
import { Scheduler } from "../actors/run/scheduler.ts";
import type { RunRecord } from "../lib/store/mod.ts";
import { testKvPath } from "../lib/store/testing.ts";
import { runAos } from "../cli/testing.ts";
import { CALCULATOR_PY, PASS, WRITE_CALCULATOR } from "./support/calculator.ts";
import { seedRepo, withHarness } from "./support/harness.ts";
import { until } from "./support/poll.ts";
import { startScriptedModel } from "../lib/llm/testing.ts";
import { serviceEnv, ServiceProcess } from "./support/server_process.ts";

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/schedules`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function runsOf(url: string): Promise<RunRecord[]> {
  return (await (await fetch(`${url}/runs?limit=200`)).json()).runs;
}

Deno.test("schedules: validated by field; a slot fires a run with schedule_id, skips while it is active, and missed slots fire once after a restart", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => release = r);
  await withHarness({
    script: {
      se: [WRITE_CALCULATOR, WRITE_CALCULATOR],
      po: [PASS, PASS],
    },
    // The first scheduled run stays active until the test lets its model answer.
    beforeModelReply: async (_h, agent, n) => {
      if (agent === "se" && n === 1) await gate;
    },
  }, async (h) => {
    const url = h.svc.url;
    const md = h.workOrder({ title: "Nightly calculator" });

    // Refusals name what is wrong.
    for (
      const [body, field] of [
        [{ cron: "61 * * * *", work_order_md: md }, "cron"],
        [{ cron: "every day", work_order_md: md }, "cron"],
        [
          { cron: "0 3 * * 1", timezone: "Mars/Olympus", work_order_md: md },
          "timezone",
        ],
        [
          { cron: "0 3 * * 1", work_order_md: "---\nrepo: 5\n---\n\ntask\n" },
          "work_order_md.repo",
        ],
        [
          { cron: "0 3 * * 1", work_order_md: h.workOrder({ colour: "red" }) },
          "work_order_md.colour",
        ],
        [{ cron: "0 3 * * 1" }, "work_order_md"],
        [{ cron: "0 3 * * 1", work_order_md: md, every: 5 }, "every"],
      ] as const
    ) {
      const refused = await post(url, body);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(
        JSON.stringify(refused.body),
        new RegExp(`"${field.replace(".", "\\.")}"`),
      );
    }
    assert.equal((await fetch(`${url}/schedules/nope`)).status, 404);

    // Added with the CLI; the slots are 29 February at midnight UTC.
    const file = `${h.dir}/nightly.md`;
    await Deno.writeTextFile(file, md);
    const added = await runAos(
      ["schedule", "add", file, "--cron", "0 0 29 2 *", "--json"],
      { env: h.cliEnv },
    );
    assert.equal(added.code, 0, added.stderr);
    const schedule = JSON.parse(added.stdout);
    assert.equal(schedule.timezone, "UTC");
    assert.match(schedule.next_at, /-02-29T00:00:00\.000Z$/);
    const listed = await runAos(["schedule", "list"], { env: h.cliEnv });
    assert.match(
      listed.stdout,
      new RegExp(`${schedule.id}.*Nightly calculator`),
    );

    let clock = Date.parse("2028-03-01T00:00:00Z");
    const scheduler = new Scheduler({
      schedules: h.svc.store.schedules,
      store: h.svc.store,
      runs: h.svc.runs,
      now: () => clock,
    });

    // 1. The 2028 slot fires one run, marked with the schedule.
    const [fired, ...more] = await scheduler.tick();
    assert.equal(more.length, 0);
    assert.equal(fired?.outcome, "fired");
    const firstId = fired?.outcome === "fired" ? fired.run_id : "";
    const first = await h.svc.store.getRun(firstId);
    assert.equal(first.schedule_id, schedule.id);
    const created = (await h.svc.store.listEvents(firstId))[0];
    assert.equal(created?.payload.schedule_id, schedule.id);
    assert.deepEqual(await scheduler.tick(), [], "a slot fires once");

    // 2. The 2032 slot comes while that run is active: skipped, and its log says so.
    clock = Date.parse("2032-03-01T00:00:00Z");
    const [skipped] = await scheduler.tick();
    assert.equal(skipped?.outcome, "skipped");
    const skip = (await h.svc.store.listEvents(firstId)).find((e) =>
      e.kind === "SCHEDULE_SKIPPED"
    );
    assert.equal(skip?.payload.schedule_id, schedule.id);
    assert.equal(skip?.payload.slot, "2032-02-29T00:00:00.000Z");
    assert.equal((await runsOf(url)).length, 1);
    const afterSkip = await (await fetch(`${url}/schedules/${schedule.id}`))
      .json();
    assert.equal(afterSkip.skipped, 1);
    assert.equal(afterSkip.next_at, "2036-02-29T00:00:00.000Z");

    release();
    assert.equal((await h.waitForEnd(firstId)).status, "SUCCEEDED");

    // 3. A process starting in 2045 missed the 2036, 2040 and 2044 slots: one run, not three.
    clock = Date.parse("2045-01-01T00:00:00Z");
    const restarted = new Scheduler({
      schedules: h.svc.store.schedules,
      store: h.svc.store,
      runs: h.svc.runs,
      now: () => clock,
    });
    // Two schedulers (two processes) racing on the same due slot start one run.
    const racing = new Scheduler({
      schedules: h.svc.store.schedules,
      store: h.svc.store,
      runs: h.svc.runs,
      now: () => clock,
    });
    const firings = (await Promise.all([restarted.tick(), racing.tick()]))
      .flat();
    assert.equal(firings.length, 2);
    assert.equal(
      new Set(firings.flatMap((f) => "run_id" in f ? [f.run_id] : [])).size,
      1,
      JSON.stringify(firings),
    );
    assert.deepEqual(await restarted.tick(), []);
    const scheduled = (await runsOf(url)).filter((r) =>
      r.schedule_id === schedule.id
    );
    assert.equal(scheduled.length, 2);
    const latest = await (await fetch(`${url}/schedules/${schedule.id}`))
      .json();
    // Recorded under the first slot it missed (the one due), fired once for all three.
    assert.equal(latest.last_slot, "2036-02-29T00:00:00.000Z");
    assert.equal(latest.next_at, "2048-02-29T00:00:00.000Z");
    await h.waitForEnd(scheduled[0]!.id);

    // Removed with the CLI: gone, its runs kept.
    const removed = await runAos(["schedule", "rm", schedule.id], {
      env: h.cliEnv,
    });
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await fetch(`${url}/schedules/${schedule.id}`)).status, 404);
    assert.equal(
      (await fetch(`${url}/schedules/${schedule.id}`, { method: "DELETE" }))
        .status,
      404,
    );
    assert.equal((await runsOf(url)).length, 2);
  });
});

Deno.test("schedules: two service processes on one KV fire a slot once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos_schedule_" });
  const kvStore = await testKvPath(dir);
  const model = await startScriptedModel({
    se: [WRITE_CALCULATOR, WRITE_CALCULATOR],
    po: [PASS, PASS],
  });
  const servers: ServiceProcess[] = [];
  try {
    const remote = await seedRepo(dir, { "README.md": "# x\n" });
    const env = serviceEnv({
      dir,
      kv: kvStore.path,
      modelUrl: model.url,
      apiKey: "sk-schedule-test",
    });
    servers.push(await ServiceProcess.start(env));
    servers.push(await ServiceProcess.start(env));
    const [a, b] = servers as [ServiceProcess, ServiceProcess];
    // One slot, 4 s ahead on the real clock (seconds first), in UTC.
    const slot = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000);
    const cron =
      `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} ${slot.getUTCDate()} ${
        slot.getUTCMonth() + 1
      } *`;
    const created = await post(a.url, {
      cron,
      work_order_md:
        `---\nrepo: ${remote}\n---\n\nCreate calculator.py with add(a, b): ${CALCULATOR_PY}\n`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.next_at, slot.toISOString());
    const id = created.body.id as string;
    // Both processes see it.
    assert.equal((await fetch(`${b.url}/schedules/${id}`)).status, 200);
    const fired = await until(
      "the slot fired",
      async () => {
        const s = await (await fetch(`${b.url}/schedules/${id}`)).json();
        return s.last_run_id ? s : null;
      },
      30_000,
      100,
    );
    // Both have ticked at least twice past the slot before the count is taken.
    await until(
      "3 s past the slot",
      () => Date.now() > slot.getTime() + 3_000,
      30_000,
    );
    const runs = await runsOf(a.url);
    assert.deepEqual(runs.map((r) => r.id), [fired.last_run_id]);
    assert.equal(runs[0]?.schedule_id, id);
    assert.equal(fired.last_slot, slot.toISOString());
  } finally {
    for (const server of servers) await server.stop();
    await model.close();
    await kvStore.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
