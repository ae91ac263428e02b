/**
 * Which run, iteration and agent the code running now works for, carried
 * through awaits (AsyncLocalStorage): set once by the agent step wrapper, read
 * where a model call ends, so the call's span finds its place in the run's
 * trace without threading ids through every layer.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The run an agent step works for. */
export interface RunScope {
  runId: string;
  /** The run record's trace context, if it has one. */
  traceparent: string | undefined;
  iteration: number;
  agent: "se" | "po";
}

const storage = new AsyncLocalStorage<RunScope>();

/** Runs `work` inside `scope`. */
export function withRunScope<T>(scope: RunScope, work: () => Promise<T>) {
  return storage.run(scope, work);
}

/** The scope of the code running now, if any. */
export function currentRunScope(): RunScope | undefined {
  return storage.getStore();
}
