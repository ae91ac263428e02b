/// <reference lib="deno.worker" />
/**
 * Worker half of line_search.ts: matches lines against a pattern. It runs
 * apart from the service's event loop so a pattern that backtracks for ever
 * can be stopped by terminating the worker.
 */
import { matchLines, type SearchRequest } from "./line_search_core.ts";

self.onmessage = (event: MessageEvent<SearchRequest>) => {
  self.postMessage(matchLines(event.data));
};
