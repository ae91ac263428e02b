// LangGraph JS peer of bench/runtime_bench.ts: RUNS runs started at once, each a
// no-op SE -> TR -> PO loop of ITERATIONS iterations, with the SQLite checkpointer
// (DB_PATH a file) or the Postgres one (DB_PATH a postgres:// URL) writing one
// durable checkpoint per step (durability "sync": each checkpoint is persisted
// before the next step runs). Prints one JSON line with the figures.
// Usage: node peer.mjs DB_PATH [RUNS] [ITERATIONS]
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

const [dbPath, runsArg = "200", iterationsArg = "5"] = process.argv.slice(2);
if (!dbPath) {
  throw new Error("Usage: node peer.mjs DB_PATH [RUNS] [ITERATIONS]");
}
const runs = Number(runsArg);
const iterations = Number(iterationsArg);

const State = Annotation.Root({
  iteration: Annotation({ reducer: (_old, next) => next, default: () => 0 }),
  steps: Annotation({ reducer: (old, next) => old + next, default: () => 0 }),
});

let checkpointer;
if (/^postgres(ql)?:\/\//.test(dbPath)) {
  checkpointer = PostgresSaver.fromConnString(dbPath);
  await checkpointer.setup();
} else {
  checkpointer = SqliteSaver.fromConnString(dbPath);
}

const graph = new StateGraph(State)
  .addNode("se", (s) => ({ iteration: s.iteration + 1, steps: 1 }))
  .addNode("tr", () => ({ steps: 1 }))
  .addNode("po", () => ({ steps: 1 }))
  .addEdge(START, "se")
  .addEdge("se", "tr")
  .addEdge("tr", "po")
  .addConditionalEdges("po", (s) => (s.iteration < iterations ? "se" : END))
  .compile({ checkpointer });

const started = performance.now();
const results = await Promise.all(
  Array.from({ length: runs }, (_, i) =>
    graph.invoke({ iteration: 0 }, {
      configurable: { thread_id: `run-${i}` },
      durability: "sync",
      recursionLimit: iterations * 3 + 10,
    })),
);
const ms = performance.now() - started;
const steps = results.reduce((sum, r) => sum + r.steps, 0);
if (steps !== runs * iterations * 3) {
  throw new Error(`Expected ${runs * iterations * 3} steps, got ${steps}`);
}
await checkpointer.end?.();
console.log(
  JSON.stringify({
    peer: "langgraph",
    runs,
    iterations,
    steps,
    ms,
    stepsPerSec: steps / (ms / 1000),
  }),
);
