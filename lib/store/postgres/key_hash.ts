/** A short hash of an encoded key, carried in commit notifications for watchers to match. */

/** FNV-1a 32-bit of `bytes` as 8 hex digits. */
export function keyHash(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
