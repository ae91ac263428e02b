/** Time-ordered, lexicographically sortable ids for messages and events. */

let lastMs = 0;
let counter = 0;

/**
 * Returns `MMMMMMMMMMMMM-CCCCCC-RRRR`: 13-digit milliseconds, a 6-digit counter
 * and 4 random hex digits. Strictly increasing within a process (the clock
 * part never goes back), so lexical order is creation order; the random tail
 * keeps two processes from colliding.
 */
export function nextSeq(now: number = Date.now()): string {
  let ms = Math.max(Math.floor(now), lastMs);
  if (ms === lastMs) {
    counter++;
    if (counter > 999_999) {
      ms++;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  const r = Math.floor(Math.random() * 0x10000);
  return `${String(ms).padStart(13, "0")}-${String(counter).padStart(6, "0")}-${
    r.toString(16).padStart(4, "0")
  }`;
}
