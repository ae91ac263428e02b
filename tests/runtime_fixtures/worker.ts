/** A worker process for the runtime's end-to-end tests: `worker.ts KV_PATH`. Prints `ready` once started. */
import { closeKv, openKv } from "../../lib/store/mod.ts";
import { ActorSystem } from "../../runtime/mod.ts";
import { alarm, counter, failer, hanger, logKey } from "./actors.ts";

const path = Deno.args[0];
if (!path) throw new Error("Usage: worker.ts KV_PATH");
const kv = await openKv(path);
const system = new ActorSystem(kv, {
  logKey,
  leaseMs: Number(Deno.env.get("RT_LEASE_MS") ?? 1000),
  pollMs: Number(Deno.env.get("RT_POLL_MS") ?? 50),
  maxConcurrent: 64,
  logger: (line) => console.error(line),
});
system.register(counter);
system.register(alarm);
system.register(hanger);
system.register(failer);
await system.start();
console.log(`ready ${system.workerId}`);
Deno.addSignalListener("SIGTERM", async () => {
  await system.stop();
  await closeKv(kv);
  Deno.exit(0);
});
