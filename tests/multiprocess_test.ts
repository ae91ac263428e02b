/**
 * Scale-out end to end: an API-only process (AOS_WORKERS=false) and the
 * worker process share one KV file. Runs submitted to the API process are
 * executed by the worker; events, run records and cancellation cross over.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { PASS, writeCalculator } from "./support/calculator.ts";
import { withHarness } from "./support/harness.ts";
import { ServiceProcess } from "./support/server_process.ts";

Deno.test("multi-process: runs submitted to an API-only process are run, followed and cancelled through it", async () => {
  await withHarness({
    script: {
      se: [
        writeCalculator("done"),
        { delayMs: 60_000, then: { content: "late" } },
      ],
      po: [PASS],
    },
  }, async (h) => {
    // The harness service is the worker; this child only serves the API.
    const child = await ServiceProcess.start({
      AOS_KV: h.kvPath,
      WORKSPACE_ROOT: `${h.dir}/api_workspaces`,
      PORT: "0",
      AOS_HOST: "127.0.0.1",
      AOS_WORKERS: "false",
      AOS_SANDBOX: "none",
      AOS_ALLOW_LOCAL_REPOS: "true",
    });
    try {
      const api = child.url;
      const submit = async (md: string) => {
        const res = await fetch(`${api}/runs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ work_order_md: md }),
        });
        assertEquals(res.status, 201);
        return (await res.json()).id as string;
      };
      const id = await submit(h.workOrder({
        push_branch: "aos/multi",
        acceptance_commands: ["python3 -c 'import calculator'"],
      }));
      // Read once so the API process holds the live record in memory.
      assertEquals((await (await fetch(`${api}/runs/${id}`)).json()).id, id);

      const stream = await (await fetch(`${api}/runs/${id}/events/stream`))
        .text();
      const kinds = [...stream.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
      assertEquals(kinds[0], "RUN_CREATED");
      assertEquals(kinds.at(-1), "RUN_END");
      assert(kinds.includes("PUSH"), kinds.join(" "));

      // A strong read goes to KV: the worker's last write shows at once.
      const fresh = await (await fetch(`${api}/runs/${id}?consistency=strong`))
        .json();
      assertEquals(fresh.status, "SUCCEEDED");
      // A plain read catches up within AOS_RUN_CACHE_MS.
      let plain = await (await fetch(`${api}/runs/${id}`)).json();
      for (let i = 0; i < 100 && plain.status !== "SUCCEEDED"; i++) {
        await new Promise((r) => setTimeout(r, 10));
        plain = await (await fetch(`${api}/runs/${id}`)).json();
      }
      assertEquals(plain.status, "SUCCEEDED");
      assertEquals(
        await h.remoteFile("aos/multi", "calculator.py"),
        "def add(a, b):\n    return a + b\n",
      );
      const list = await (await fetch(`${api}/runs?status=SUCCEEDED`)).json();
      assertEquals(list.runs.map((r: { id: string }) => r.id), [id]);

      // Cancel through the API process while the worker waits on the model.
      const slow = await submit(h.workOrder({}));
      while (h.model.requests.length < 3) {
        await new Promise((r) => setTimeout(r, 25));
      }
      const cancel = await fetch(`${api}/runs/${slow}/cancel`, {
        method: "POST",
      });
      assertEquals(cancel.status, 200);
      assertEquals((await cancel.json()).status, "CANCELLED");
      const events = await (await fetch(`${api}/runs/${slow}/events`)).json();
      assertEquals(events.at(-1).kind, "RUN_END");
    } finally {
      await child.stop();
    }
  });
});
