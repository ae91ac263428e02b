/**
 * search_files matching with a time limit. The pattern comes from the model,
 * and a JavaScript regular expression can backtrack for longer than any run
 * lasts (`(a+)+$` on a long line of `a`s): matched on the service's event
 * loop it would stall every run and the API. So matching runs in a worker
 * that is terminated when the limit passes.
 */
import type { SearchRequest, SearchResult } from "./line_search_core.ts";

export type { SearchRequest, SearchResult } from "./line_search_core.ts";

/** Thrown when matching did not finish within the limit. */
export class SearchTimeoutError extends Error {
  override name = "SearchTimeoutError";
}

/** Runs `matchLines(req)` in a worker; SearchTimeoutError after `timeoutMs`. */
export function searchLines(
  req: SearchRequest,
  timeoutMs: number,
): Promise<SearchResult> {
  const worker = new Worker(
    new URL("./line_search_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  return new Promise<SearchResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new SearchTimeoutError(
          `Matching took longer than ${timeoutMs} ms and was stopped`,
        ),
      );
    }, timeoutMs);
    worker.onmessage = (event: MessageEvent<SearchResult>) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      clearTimeout(timer);
      reject(new Error(`Search worker failed: ${event.message}`));
    };
    worker.postMessage(req);
  }).finally(() => worker.terminate());
}
