/**
 * Label values a stranger can choose (a work order names any model string)
 * kept bounded: each value is cleaned to a short, plain form, and past a cap
 * of distinct values every new one is counted as `other`, so a flood of odd
 * names cannot grow the metrics without end.
 */

/** The value a label takes past the cap, or when nothing is left after cleaning. */
export const OTHER_LABEL = "other";

/** Longest label value kept. */
const MAX_CHARS = 64;

/** A bounded set of label values, first come first kept. */
export class BoundedLabels {
  readonly #cap: number;
  readonly #seen = new Set<string>();

  /** `known` values (the configured models) are always kept and do not count against `cap`. */
  constructor(opts: { cap: number; known?: readonly string[] }) {
    this.#cap = opts.cap;
    for (const value of opts.known ?? []) {
      const clean = cleanLabel(value);
      if (clean !== OTHER_LABEL) this.#seen.add(clean);
    }
    this.#cap += this.#seen.size;
  }

  /** The label value to use for `value`. */
  label(value: string): string {
    const clean = cleanLabel(value);
    if (this.#seen.has(clean)) return clean;
    if (this.#seen.size >= this.#cap || clean === OTHER_LABEL) {
      return OTHER_LABEL;
    }
    this.#seen.add(clean);
    return clean;
  }
}

/** A value cut to MAX_CHARS of letters, digits and `._:/@+-`; anything else becomes `_`. */
export function cleanLabel(value: string): string {
  const clean = value.slice(0, MAX_CHARS).replace(/[^A-Za-z0-9._:/@+-]/g, "_");
  return /[A-Za-z0-9]/.test(clean) ? clean : OTHER_LABEL;
}
