/**
 * `deno task bench`: every benchmark in one run; figures go to bench/RESULTS.md.
 * `deno task bench setup` (or `runtime`, `api`, `se_tools`, `postgres`, `ui`, `metrics`, `redact`, `bounded`, `text_calls`) runs one and replaces only its section;
 * `deno task bench agent` (AOS vs mini-swe-agent on a local model: an hour or more) runs only when named.
 */
import { runAgentBench } from "./agent_bench.ts";
import { runApiBench } from "./api_bench.ts";
import { runApiMemoryBench } from "./api_memory_bench.ts";
import { runBoundedBench } from "./bounded_bench.ts";
import { runMetricsBench } from "./metrics_bench.ts";
import { runPostgresBenches } from "./postgres_bench.ts";
import { runRedactBench } from "./redact_bench.ts";
import { runRuntimeBenches } from "./runtime_bench.ts";
import { runSeToolsBench } from "./se_tools_bench.ts";
import { runSetupBench } from "./setup_bench.ts";
import { runTextCallsBench } from "./text_calls_bench.ts";
import { runUiBench } from "./ui_bench.ts";

const benches: Record<
  string,
  { heading: string; run: () => Promise<string>; onlyWhenNamed?: boolean }
> = {
  runtime: { heading: "## Actor runtime", run: () => runRuntimeBenches() },
  api: { heading: "## HTTP API", run: () => runApiBench() },
  api_memory: {
    heading: "## API memory under malformed requests",
    run: () => runApiMemoryBench(),
  },
  se_tools: { heading: "## SE tools", run: () => runSeToolsBench() },
  setup: {
    heading: "## Setup and fast preparation",
    run: () => runSetupBench(),
  },
  postgres: { heading: "## PostgreSQL KV", run: () => runPostgresBenches() },
  ui: { heading: "## Dashboard runs page", run: () => runUiBench() },
  metrics: { heading: "## Metrics endpoint", run: () => runMetricsBench() },
  redact: { heading: "## Redaction", run: () => runRedactBench() },
  bounded: {
    heading: "## Bounded work on the event loop",
    run: () => runBoundedBench(),
  },
  text_calls: {
    heading: "## Tool calls written in the text",
    run: () => runTextCallsBench(),
  },
  // An hour or more on a CPU model: never part of the full run.
  agent: {
    heading: "## Agent vs mini-swe-agent on a local model",
    run: () => runAgentBench(),
    onlyWhenNamed: true,
  },
};
const chosen = Deno.args.length > 0
  ? Deno.args
  : Object.keys(benches).filter((name) => !benches[name]!.onlyWhenNamed);
for (const name of chosen) {
  if (!benches[name]) {
    console.error(
      `Unknown benchmark '${name}'; choose from ${
        Object.keys(benches).join(", ")
      }`,
    );
    Deno.exit(2);
  }
}
const path = new URL("./RESULTS.md", import.meta.url);
const previous = await Deno.readTextFile(path).catch(() => "");
const sections = [];
for (const [name, bench] of Object.entries(benches)) {
  if (chosen.includes(name)) sections.push(await bench.run());
  else {
    // Kept from the last full run: the text from its heading to the next one.
    const start = previous.indexOf(`\n${bench.heading}`) + 1;
    if (start === 0) continue;
    const next = previous.indexOf("\n## ", start + 1);
    sections.push(previous.slice(start, next < 0 ? undefined : next + 1));
  }
}
await Deno.writeTextFile(path, `# Benchmark results\n\n${sections.join("\n")}`);
await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", path.pathname],
}).output();
console.log(sections.join("\n"));
