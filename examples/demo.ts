/**
 * Offline demo: a SCRIPTED model (recorded replies, not an LLM) drives the
 * whole SE → TR → PO loop against a throwaway copy of `examples/demo/repo`.
 *
 *   deno task demo          # runs the demo, then stops the service
 *   deno task demo --keep   # leaves the service running: open the run's page, Ctrl-C to stop
 */
import { loadConfig } from "../lib/config.ts";
import { startService } from "../main.ts";
import { git, seedRepo } from "../tests/support/harness.ts";
import { loadScript, startScriptedModel } from "../lib/llm/testing.ts";

const here = new URL(".", import.meta.url).pathname;
const keep = Deno.args.includes("--keep");
const unknown = Deno.args.filter((arg) => arg !== "--keep");
if (unknown.length > 0) {
  console.error(
    `Unknown argument ${
      JSON.stringify(unknown[0])
    }; usage: deno task demo [--keep]`,
  );
  Deno.exit(2);
}
const dir = await Deno.makeTempDir({ prefix: "aos_demo_" });
const files: Record<string, string> = {};
for await (const entry of Deno.readDir(`${here}demo/repo`)) {
  if (entry.isFile) {
    files[entry.name] = await Deno.readTextFile(
      `${here}demo/repo/${entry.name}`,
    );
  }
}
const remote = await seedRepo(dir, files);
const model = await startScriptedModel(
  await loadScript(`${here}demo/transcript.json`),
);
console.log(
  `• Scripted model (recorded transcript, NOT an LLM) at ${model.url}`,
);
const service = await startService({
  config: loadConfig({
    ...Deno.env.toObject(),
    AOS_KV: `${dir}/aos.kv`,
    WORKSPACE_ROOT: `${dir}/workspaces`,
    PORT: "0",
    AOS_HOST: "127.0.0.1",
    OPENAI_API_KEY: "scripted-demo-key",
    OPENAI_BASE_URL: model.url,
    AOS_API_TOKEN: "",
    // The demo's repository is a throwaway bare remote on this machine.
    AOS_ALLOW_LOCAL_REPOS: "true",
  }),
  log: (line) => console.log(`  [service] ${line}`),
});
console.log(`• AOS service at ${service.url} (docs: ${service.url}/docs)`);
console.log(`• Demo repository (bare remote): ${remote}\n`);

const workOrder = (await Deno.readTextFile(`${here}demo/work_order.md`))
  .replace(/^repo: .*$/m, `repo: ${remote}`);
const workOrderPath = `${dir}/work_order.md`;
await Deno.writeTextFile(workOrderPath, workOrder);

console.log("$ aos submit examples/demo/work_order.md --wait\n");
const cli = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    `${here}../cli/main.ts`,
    "submit",
    workOrderPath,
    "--wait",
  ],
  env: { AOS_URL: service.url },
  stdout: "inherit",
  stderr: "inherit",
}).output();

console.log("\n• Branch aos/multiply on the remote now holds:\n");
try {
  console.log(
    await git(dir, "--git-dir", remote, "show", "--stat", "aos/multiply"),
  );
} catch {
  console.log("  (branch not pushed)");
}
if (keep) await keepServing();
await service.close();
await model.close();
await Deno.remove(dir, { recursive: true });
Deno.exit(cli.code);

/** `--keep`: the service stays up with the run's page linked until Ctrl-C (or SIGTERM). */
async function keepServing(): Promise<void> {
  const listed = await (await fetch(`${service.url}/runs?limit=1`)).json() as {
    runs?: { id?: unknown }[];
  };
  const id = listed.runs?.[0]?.id;
  console.log(`\n• The service keeps running: ${service.url}/ui`);
  if (typeof id === "string") {
    console.log(`• The run's dashboard page: ${service.url}/ui/runs/${id}`);
  }
  console.log(
    `• In another terminal: AOS_URL=${service.url} deno task -q aos status ${
      typeof id === "string" ? id : "<run-id>"
    }`,
  );
  console.log(`• Press Ctrl-C to stop; ${dir} is removed then.`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  console.log("\n• Stopping.");
}
