/** Small helpers for the runtime benchmarks: percentiles, machine description, temp KV files. */

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[rank]!;
}

/** Formats a number with `digits` decimals. */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** One line describing this machine and runtime. */
export async function machine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  return `${cpu}, ${navigator.hardwareConcurrency} logical CPUs, ${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno}`;
}

/** Opens a KV file in a fresh temp dir; `close()` closes it and removes the dir. */
export async function benchKv(): Promise<
  { kv: Deno.Kv; dir: string; close: () => Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "rt_bench_" });
  const kv = await Deno.openKv(`${dir}/bench.kv`);
  return {
    kv,
    dir,
    close: async () => {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
