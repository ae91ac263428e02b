/** `deno task bench`: every benchmark in one run; figures go to bench/RESULTS.md. */
import { runApiBench } from "./api_bench.ts";
import { runRuntimeBenches } from "./runtime_bench.ts";
import { runSeToolsBench } from "./se_tools_bench.ts";

const sections = [
  await runRuntimeBenches(),
  await runApiBench(),
  await runSeToolsBench(),
];
const path = new URL("./RESULTS.md", import.meta.url);
await Deno.writeTextFile(path, `# Benchmark results\n\n${sections.join("\n")}`);
await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", path.pathname],
}).output();
console.log(sections.join("\n"));
