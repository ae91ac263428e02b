/**
 * `kv.watch()` on Postgres: the current entries at once, then again whenever
 * a commit notification names one of the keys (or may have: `*`, reconnect),
 * and on a slow poll as the backstop for lost notifications. Re-reads are
 * coalesced (one in flight); unless `raw`, an emission needs a changed
 * versionstamp.
 */
import { encodeKey } from "./key_codec.ts";
import { keyHash } from "./key_hash.ts";
import { MAX_READ_KEYS } from "./limits.ts";
import type { Notifier } from "./notifier.ts";

/** Backstop poll of a watch. */
const WATCH_POLL_MS = 1000;

/** Reads the watched keys (the KV's getMany). */
export type ManyReader = (
  keys: Deno.KvKey[],
) => Promise<Deno.KvEntryMaybe<unknown>[]>;

/** A ReadableStream of the entries of `keys`, as `Deno.Kv.watch`. */
export function watchKeys(
  notifier: Notifier,
  read: ManyReader,
  keys: readonly Deno.KvKey[],
  raw: boolean,
  onClose: (cancel: () => void) => () => void,
): ReadableStream<Deno.KvEntryMaybe<unknown>[]> {
  if (keys.length > MAX_READ_KEYS) {
    throw new TypeError(`Too many keys (max ${MAX_READ_KEYS})`);
  }
  const hashes = new Set(keys.map((k) => keyHash(encodeKey(k))));
  let last: string | null = null;
  let reading = false;
  let again = false;
  let done = false;
  let unsubscribe = () => {};
  let poll: ReturnType<typeof setInterval> | undefined;
  let forget = () => {};
  const stop = () => {
    done = true;
    unsubscribe();
    clearInterval(poll);
    forget();
  };
  return new ReadableStream<Deno.KvEntryMaybe<unknown>[]>({
    start(controller) {
      const refresh = async (forced: boolean) => {
        if (done) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            const entries = await read([...keys]);
            const stamp = entries.map((e) => e.versionstamp ?? "-").join(",");
            if (done) return;
            if (stamp !== last || (raw && forced)) {
              last = stamp;
              controller.enqueue(entries);
            }
          } while (again && !done);
        } catch (error) {
          if (!done) {
            stop();
            controller.error(error);
          }
        } finally {
          reading = false;
        }
      };
      unsubscribe = notifier.subscribe((notice) => {
        if (
          notice.keys === null || [...hashes].some((h) => notice.keys!.has(h))
        ) {
          void refresh(true);
        }
      });
      poll = setInterval(() => void refresh(false), WATCH_POLL_MS);
      forget = onClose(() => {
        if (done) return;
        stop();
        try {
          controller.close();
        } catch {
          // Already closed by the reader.
        }
      });
      void refresh(true);
    },
    cancel() {
      stop();
    },
  });
}
