/**
 * Glob matching whose cost is bounded by the lengths of the glob and the
 * path, whatever they hold. A glob compiled to a regular expression
 * backtracks: `*a*a*a*a*a*a*a*a*a*a*a*ab` against one 40-character file name
 * took minutes, and both sides are a stranger's — a work order's
 * `forbidden_paths` or `setup_cache_key` (the API client's, or a repository's
 * `.aos/work_order.yml`), the model's `find_files` glob, the repository's
 * file names. Here a path is matched segment by segment with a memo over
 * (glob segment, path segment) pairs, and a segment by the classic wildcard
 * walk, so the work is at most the product of the two lengths.
 *
 * The syntax is picomatch's with `dot: true` (what AOS used before): `*`, `?`,
 * `[...]` (`!` or `^` negates, ranges, `[:alpha:]`-style classes), `**` as a
 * whole segment (any number of segments, none included), `{a,b}` and
 * `{1..3}` alternatives, `@(a|b)`, `\` escapes, and a leading `!` negating
 * the whole glob. `basename` matches a glob without `/` against the file name.
 */

/** A glob that cannot be used, with the reason. */
export class GlobError extends Error {
  override name = "GlobError";
}

/** Most alternatives braces may expand to. */
const MAX_ALTERNATIVES = 256;

/** How a glob is matched. */
export interface GlobOptions {
  /** A glob without `/` matches the last segment of the path (picomatch's `basename`). */
  basename?: boolean;
}

type Token =
  | { kind: "char"; code: number }
  | { kind: "one" }
  | { kind: "class"; test: (code: number) => boolean }
  | { kind: "star" };

/** One glob segment: `**`, or tokens. */
type Segment = "globstar" | Token[];

const POSIX_CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => /\p{L}/u.test(String.fromCharCode(c)),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => /[\p{L}\p{N}]/u.test(String.fromCharCode(c)),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  punct: (c) => /[!-/:-@[-`{-~]/.test(String.fromCharCode(c)),
  xdigit: (c) => /[0-9A-Fa-f]/.test(String.fromCharCode(c)),
  word: (c) => /\w/.test(String.fromCharCode(c)),
};

/** Compiles `glob` (or any of several) into a matcher; GlobError for a glob it cannot use. */
export function compileGlob(
  glob: string | readonly string[],
  opts: GlobOptions = {},
): (path: string) => boolean {
  const matchers = (typeof glob === "string" ? [glob] : glob).map((g) =>
    compileOne(g, opts)
  );
  return (path) => matchers.some((m) => m(path));
}

function compileOne(
  glob: string,
  opts: GlobOptions,
): (path: string) => boolean {
  const negated = glob.startsWith("!") && !glob.startsWith("!(");
  const body = negated ? glob.slice(1) : glob;
  const basename = opts.basename === true && !body.includes("/");
  const alternatives = expand(body).map(parseSegments);
  const match = (path: string) => {
    const target = basename ? path.slice(path.lastIndexOf("/") + 1) : path;
    const parts = target.split("/");
    return alternatives.some((segments) => matchPath(segments, parts));
  };
  return negated ? (path) => !match(path) : match;
}

/** `{a,b}`, `{1..3}` and `@(a|b)` expanded into plain globs. */
function expand(glob: string): string[] {
  const open = findGroup(glob);
  if (open === null) return [glob];
  const { start, end, options } = open;
  const out: string[] = [];
  for (const option of options) {
    for (
      const rest of expand(glob.slice(0, start) + option + glob.slice(end))
    ) {
      out.push(rest);
      if (out.length > MAX_ALTERNATIVES) {
        throw new GlobError(
          `Glob '${glob}' expands to more than ${MAX_ALTERNATIVES} alternatives`,
        );
      }
    }
  }
  return out;
}

/** The first top-level `{…}` with a `,` or `..`, or `@(…)`: where it is and its options. */
function findGroup(
  glob: string,
): { start: number; end: number; options: string[] } | null {
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "[") {
      const close = classEnd(glob, i);
      if (close > i) i = close;
      continue;
    }
    const extglob = "?*+!".includes(c as string) && glob[i + 1] === "(";
    if (extglob) {
      throw new GlobError(
        `Glob '${glob}' uses the extended pattern '${c}(…)', which is not supported; use {a,b} or several globs`,
      );
    }
    const at = c === "@" && glob[i + 1] === "(";
    if (c !== "{" && !at) continue;
    const start = i;
    const from = at ? i + 2 : i + 1;
    const [closeChar, sep] = at ? [")", "|"] : ["}", ","];
    let depth = 0;
    const options: string[] = [];
    let last = from;
    for (let j = from; j < glob.length; j++) {
      const d = glob[j];
      if (d === "\\") {
        j++;
        continue;
      }
      if (d === "{" || d === "(") depth++;
      else if ((d === "}" || d === ")") && depth > 0) depth--;
      else if (d === closeChar && depth === 0) {
        options.push(glob.slice(last, j));
        if (!at && options.length === 1) {
          const range = /^(-?\d+)\.\.(-?\d+)$/.exec(options[0] as string);
          if (!range) break; // `{x}`: literal braces.
          const [a, b] = [Number(range[1]), Number(range[2])];
          if (Math.abs(b - a) >= MAX_ALTERNATIVES) {
            throw new GlobError(
              `Glob '${glob}' expands to more than ${MAX_ALTERNATIVES} alternatives`,
            );
          }
          const step = a <= b ? 1 : -1;
          options.length = 0;
          for (let n = a; n !== b + step; n += step) options.push(String(n));
        }
        return { start, end: j + 1, options };
      } else if (d === sep && depth === 0) {
        options.push(glob.slice(last, j));
        last = j + 1;
      }
    }
  }
  return null;
}

/** Index of the `]` closing the class opened at `open`, or -1 (then `[` is literal). */
function classEnd(glob: string, open: number): number {
  let i = open + 1;
  if (glob[i] === "!" || glob[i] === "^") i++;
  if (glob[i] === "]") i++;
  for (; i < glob.length; i++) {
    if (glob[i] === "\\") i++;
    else if (glob[i] === "[" && glob[i + 1] === ":") {
      const close = glob.indexOf(":]", i + 2);
      if (close > 0) i = close + 1;
    } else if (glob[i] === "]") return i;
    else if (glob[i] === "/") return -1;
  }
  return -1;
}

function parseSegments(glob: string): Segment[] {
  return glob.split("/").map((part) =>
    part === "**" ? "globstar" : parseTokens(part)
  );
}

function parseTokens(part: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === "\\" && i + 1 < part.length) {
      tokens.push({ kind: "char", code: part.charCodeAt(++i) });
    } else if (c === "*") {
      // `**` inside a segment is a `*`; runs of stars are one.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") tokens.push({ kind: "one" });
    else if (c === "[" && classEnd(part, i) > i) {
      const close = classEnd(part, i);
      tokens.push({ kind: "class", test: classTest(part.slice(i + 1, close)) });
      i = close;
    } else tokens.push({ kind: "char", code: part.charCodeAt(i) });
  }
  return tokens;
}

function classTest(inner: string): (code: number) => boolean {
  const negated = inner.startsWith("!") || inner.startsWith("^");
  const body = negated ? inner.slice(1) : inner;
  const tests: ((c: number) => boolean)[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "[" && body[i + 1] === ":") {
      const close = body.indexOf(":]", i + 2);
      const name = body.slice(i + 2, close);
      const posix = POSIX_CLASSES[name];
      if (close > 0 && posix) {
        tests.push(posix);
        i = close + 1;
        continue;
      }
    }
    let from = body.charCodeAt(i);
    if (body[i] === "\\" && i + 1 < body.length) from = body.charCodeAt(++i);
    if (body[i + 1] === "-" && i + 2 < body.length) {
      let to = body.charCodeAt(i + 2);
      i += 2;
      if (body[i] === "\\" && i + 1 < body.length) to = body.charCodeAt(++i);
      tests.push((c) => c >= from && c <= to);
    } else tests.push((c) => c === from);
  }
  return (c) => c !== 47 && tests.some((t) => t(c)) !== negated;
}

/** Whether `parts` (a path's segments) match `segments`: a memo over (glob, path) segment pairs. */
function matchPath(segments: Segment[], parts: string[]): boolean {
  const memo = new Map<number, boolean>();
  const width = parts.length + 1;
  const at = (g: number, p: number): boolean => {
    if (g === segments.length) return p === parts.length;
    const key = g * width + p;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const segment = segments[g] as Segment;
    let result: boolean;
    if (segment === "globstar") {
      // None, or one more segment and still in the globstar.
      result = at(g + 1, p) || (p < parts.length && at(g, p + 1));
    } else {
      result = p < parts.length &&
        matchSegment(segment, parts[p] as string) && at(g + 1, p + 1);
    }
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

/** The wildcard walk: on a mismatch, go back to the last star and let it take one more character. */
function matchSegment(tokens: Token[], text: string): boolean {
  let t = 0;
  let i = 0;
  let starT = -1;
  let starI = 0;
  while (i < text.length) {
    const token = tokens[t];
    const code = text.charCodeAt(i);
    if (token?.kind === "star") {
      starT = t++;
      starI = i;
      continue;
    }
    if (
      token !== undefined &&
      (token.kind === "one" ||
        (token.kind === "char" && token.code === code) ||
        (token.kind === "class" && token.test(code)))
    ) {
      t++;
      i++;
      continue;
    }
    if (starT < 0) return false;
    t = starT + 1;
    i = ++starI;
  }
  while (tokens[t]?.kind === "star") t++;
  return t === tokens.length;
}
