import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { findAll } from "./find_text.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

/** Every occurrence by the native search, overlapping ones too. */
function nativeAll(haystack: string, needle: string, limit: number): number[] {
  const out: number[] = [];
  for (
    let i = haystack.indexOf(needle);
    i >= 0 && out.length < limit;
    i = haystack.indexOf(needle, i + 1)
  ) out.push(i);
  return out;
}

Deno.test("findAll() finds what indexOf finds, overlapping matches included", () => {
  let state = 3;
  const pick = (alphabet: string, n: number) =>
    Array.from({ length: n }, () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return alphabet[state % alphabet.length];
    }).join("");
  for (let round = 0; round < 300; round++) {
    const haystack = pick("ab", 400);
    const needle = pick("ab", 1 + (round % 40));
    assertEquals(
      findAll(haystack, needle, 50),
      nativeAll(haystack, needle, 50),
      `${needle} in ${haystack}`,
    );
  }
  assertEquals(findAll("abc", "", 5), []);
  assertEquals(findAll("ab", "abc", 5), []);
  assertEquals(findAll("a".repeat(40), "a".repeat(20), 3), [0, 1, 2]);
});

Deno.test("findAll() is linear on the inputs that make indexOf quadratic", async () => {
  // 1,000 characters `a…aba…a` in 8 MiB of `a`: the native search takes ~9 s.
  const haystack = "a".repeat(8 * 1024 * 1024);
  haystack.charCodeAt(1);
  const needle = `${"a".repeat(500)}b${"a".repeat(500)}`;
  const { value, lagMs } = await withLagProbe(() =>
    findAll(haystack, needle, 1)
  );
  assertEquals(value, []);
  assert(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
});
