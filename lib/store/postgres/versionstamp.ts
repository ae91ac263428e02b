/** Versionstamps in Deno KV's shape: 20 hex digits, growing with every commit. */

/** Formats a commit counter as a versionstamp (a 64-bit counter, then 0000 as Deno KV writes). */
export function formatVersionstamp(version: bigint | string): string {
  return BigInt(version).toString(16).padStart(16, "0") + "0000";
}

/** Counter value a check compares: -1 for "must be absent", -2 for a stamp no key can have. */
export function checkedVersion(versionstamp: string | null): bigint {
  if (versionstamp === null) return -1n;
  if (
    typeof versionstamp !== "string" || !/^[0-9a-f]{20}$/.test(versionstamp)
  ) {
    throw new TypeError("Invalid check");
  }
  if (!versionstamp.endsWith("0000")) return -2n;
  return BigInt(`0x${versionstamp.slice(0, 16)}`);
}
