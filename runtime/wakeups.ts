/**
 * How a worker hears of mail committed elsewhere, besides its poll: KV queue
 * wake-ups (timers, retries) and, with `watch: true`, `kv.watch` of the wake
 * counter and hint (see README "Wake hints").
 */
import type { Core } from "./core.ts";
import type { WakeHint } from "./records.ts";
import type { Scanner } from "./scanner.ts";
import { markReload } from "./slot.ts";

/** The queue listener and the watch of one started system. */
export class Wakeups {
  #watch: ReadableStreamDefaultReader<unknown> | null = null;

  constructor(private readonly core: Core, private readonly scanner: Scanner) {
    if (core.opts.queue) this.#listenQueue();
    if (core.opts.watch) this.#watchWake();
  }

  /** Ends the watch (the queue listener ends with the KV or the stopping flag). */
  async stop(): Promise<void> {
    await this.#watch?.cancel().catch(() => {});
    this.#watch = null;
  }

  #listenQueue(): void {
    const core = this.core;
    const tag = JSON.stringify(core.opts.prefix);
    try {
      core.kv.listenQueue((value: unknown) => {
        if (!core.running || core.stopping) return;
        if (
          typeof value !== "object" || value === null ||
          (value as { rtWake?: unknown }).rtWake !== tag
        ) return;
        void this.scanner.tick();
      }).catch((error) => core.log(`Queue listener ended: ${String(error)}`));
    } catch (error) {
      core.log(`KV queue unavailable, relying on polling: ${String(error)}`);
    }
  }

  /**
   * Drives the actors a wake hint names that this worker holds, ahead of the
   * scan (which costs round trips and skips actors whose loop runs). Returns
   * whether the hint's mail is all taken care of: the commit was ours (our
   * deliveries were queued or claimed as it returned) or every recipient is
   * held here.
   */
  #wakeOwned(wake: Deno.KvEntryMaybe<WakeHint>): boolean {
    const core = this.core;
    const to = wake.value?.to;
    if (!Array.isArray(to)) return false;
    if (wake.versionstamp && core.committer.committedHere(wake.versionstamp)) {
      return true;
    }
    let all = to.length > 0;
    for (const id of to) {
      const slot = core.owned.get(id);
      if (!slot || slot.dropped) {
        all = false;
        continue;
      }
      if (wake.versionstamp === slot.knownPendingVs) continue;
      // The hint's commit wrote the recipient's pending counter too.
      markReload(slot, wake.versionstamp);
      core.hooks.drive(slot);
    }
    return all;
  }

  /**
   * Wakes on commits that deliver mail. The scan runs unless the emission is
   * the very next bump of the counter (no commit skipped by the watch) and
   * its hint was all taken care of: on a busy KV most commits cost no scan.
   */
  #watchWake(): void {
    const core = this.core;
    const reader = core.kv.watch<[Deno.KvU64, WakeHint]>([
      core.keys.wake(),
      core.keys.wakeHint(),
    ]).getReader();
    this.#watch = reader;
    let last: bigint | null = null;
    (async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done || core.stopping) return;
        const [count, hint] = value;
        const seen = count.value instanceof Deno.KvU64
          ? count.value.value
          : null;
        const next = seen !== null && last !== null && seen === last + 1n;
        last = seen;
        const handled = hint.versionstamp === count.versionstamp &&
          this.#wakeOwned(hint);
        if (!(next && handled)) void this.scanner.tick();
      }
    })().catch((error) => {
      if (!core.stopping) core.log(`Watch ended: ${String(error)}`);
    });
  }
}
