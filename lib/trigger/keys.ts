/**
 * KV keys of triggers, under the store's prefix:
 *
 * | key | value |
 * | --- | --- |
 * | `trigger_delivery, kind, delivery id` | `{ at }` — a delivery seen (replays refused) |
 * | `trigger_origin, run id` | TriggerOrigin — where the run answers |
 * | `trigger_thread, repo, number` | id of the latest run from that issue or pull request |
 */

/** The keys of one store prefix. */
export class TriggerKeys {
  constructor(readonly prefix: Deno.KvKey) {}

  /** A delivery seen. */
  delivery(kind: string, id: string): Deno.KvKey {
    return [...this.prefix, "trigger_delivery", kind, id];
  }
  /** Where run `runId` answers. */
  origin(runId: string): Deno.KvKey {
    return [...this.prefix, "trigger_origin", runId];
  }
  /** The latest run from thread `number` of `repo`. */
  thread(repo: string, number: number): Deno.KvKey {
    return [...this.prefix, "trigger_thread", repo, number];
  }
}
