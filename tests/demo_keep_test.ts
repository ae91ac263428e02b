/**
 * `deno task demo --keep`: the offline demo's run passes, then the service
 * stays up with the run's dashboard page printed (it answers, showing the
 * run SUCCEEDED) until Ctrl-C, which stops it and removes the demo's files.
 */
import assert from "node:assert/strict";

const demo = new URL("../examples/demo.ts", import.meta.url).pathname;

Deno.test({
  name:
    "demo --keep prints the run's dashboard page, keeps serving it, and stops cleanly on SIGINT",
  sanitizeResources: false,
  fn: async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", demo, "--keep"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines: string[] = [];
    let page: string | null = null;
    let dir: string | null = null;
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let pending = "";
    try {
      while (page === null || dir === null) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        const complete = pending.split("\n");
        pending = complete.pop() ?? "";
        for (const line of complete) {
          lines.push(line);
          page ??= line.match(/run's dashboard page: (http\S+)$/)?.[1] ??
            null;
          dir ??= line.match(/Press Ctrl-C to stop; (\S+) is removed/)?.[1] ??
            null;
        }
      }
      assert.ok(page && dir, lines.join("\n"));
      const res = await fetch(page);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /data-status="SUCCEEDED"/);
      assert.ok((await Deno.stat(dir)).isDirectory);
      child.kill("SIGINT");
      const status = await child.status;
      assert.equal(status.code, 0, await stderr);
      await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await stderr.catch(() => "");
    }
  },
});
