// Roman numerals for 1 to 3999.

const NUMERALS = [
  [1000, "M"], [900, "CM"], [500, "D"], [400, "CD"],
  [100, "C"], [90, "XC"], [50, "L"], [40, "XL"],
  [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"],
];

/** The canonical Roman numeral of `n` (an integer from 1 to 3999). */
export function toRoman(n) {
  if (!Number.isInteger(n) || n < 1 || n > 3999) {
    throw new RangeError(`Expected an integer from 1 to 3999, got ${n}`);
  }
  let out = "";
  for (const [value, symbol] of NUMERALS) {
    while (n >= value) {
      out += symbol;
      n -= value;
    }
  }
  return out;
}

/** The number a canonical Roman numeral stands for. */
export function fromRoman(text) {
  throw new Error("not implemented");
}
