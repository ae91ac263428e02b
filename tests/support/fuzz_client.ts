/** Sends generated requests to a live server and sorts the answers. */
import type { FuzzRequest } from "./api_fuzz.ts";

/** What a fuzz run saw. */
export interface FuzzOutcome {
  /** Requests answered with a status of 500 or more (must be none). */
  serverErrors: string[];
  /** Run ids of accepted submissions. */
  accepted: string[];
  /** Count of each status. */
  statuses: Record<number, number>;
  /** Requests sent as another site's page that were answered 2xx (must be none). */
  hostileAccepted: string[];
  /** Requests the client could not even build (invalid URL), skipped. */
  unsendable: number;
}

/** Sends `requests` to `base`, `concurrency` at a time; streams are closed once their status is known. */
export async function sendAll(
  base: string,
  requests: FuzzRequest[],
  concurrency = 8,
): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = {
    serverErrors: [],
    accepted: [],
    statuses: {},
    hostileAccepted: [],
    unsendable: 0,
  };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      let request: Request;
      try {
        request = new Request(base + req.path, {
          method: req.method,
          headers: req.headers,
          ...(req.body && req.method !== "GET" && req.method !== "HEAD"
            ? { body: req.body as Uint8Array<ArrayBuffer> }
            : {}),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        outcome.unsendable++;
        continue;
      }
      const res = await fetch(request);
      outcome.statuses[res.status] = (outcome.statuses[res.status] ?? 0) + 1;
      if (req.hostile && res.status < 300) {
        outcome.hostileAccepted.push(`${res.status} ${req.label}`);
      }
      const sse = (res.headers.get("content-type") ?? "").startsWith(
        "text/event-stream",
      );
      if (sse) {
        await res.body?.cancel();
      } else {
        const text = await res.text();
        if (res.status >= 500) {
          outcome.serverErrors.push(
            `${res.status} ${req.label}: ${text.slice(0, 300)}`,
          );
        }
        if (
          req.method === "POST" && (res.status === 201 || res.status === 200) &&
          req.path.startsWith("/runs") && !req.path.includes("/cancel")
        ) {
          outcome.accepted.push(JSON.parse(text).id);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcome;
}
