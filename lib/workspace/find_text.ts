/**
 * Substring search in linear time whatever the input. The native
 * `indexOf` is quadratic on some inputs (a needle `a…aba…a` of 1,000
 * characters in 32 MiB of `a` takes 36 s): edit_file's old_text is the
 * model's and the file is the repository's, so neither may choose the cost.
 */

/** Up to `limit` start indexes of `needle` in `haystack` (overlapping ones too), in order (Knuth–Morris–Pratt). */
export function findAll(
  haystack: string,
  needle: string,
  limit: number,
): number[] {
  const found: number[] = [];
  const m = needle.length;
  if (m === 0 || m > haystack.length || limit <= 0) return found;
  // Short needles cannot make the native search slow; it is much faster.
  if (m <= 16) {
    for (
      let i = haystack.indexOf(needle);
      i >= 0 && found.length < limit;
      i = haystack.indexOf(needle, i + 1)
    ) found.push(i);
    return found;
  }
  const fail = new Int32Array(m);
  for (let i = 1, k = 0; i < m; i++) {
    const c = needle.charCodeAt(i);
    while (k > 0 && needle.charCodeAt(k) !== c) k = fail[k - 1] as number;
    if (needle.charCodeAt(k) === c) k++;
    fail[i] = k;
  }
  for (let i = 0, k = 0; i < haystack.length; i++) {
    const c = haystack.charCodeAt(i);
    while (k > 0 && needle.charCodeAt(k) !== c) k = fail[k - 1] as number;
    if (needle.charCodeAt(k) === c) k++;
    if (k === m) {
      found.push(i - m + 1);
      if (found.length >= limit) break;
      k = fail[k - 1] as number;
    }
  }
  return found;
}
