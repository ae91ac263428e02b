/**
 * A unified diff made to fit a budget without hiding a file: a `git diff
 * --stat`-style summary first, then every file's own section, each capped at
 * its fair share of what is left (small files give their unused share to
 * the big ones).
 */

/** One changed file of a diff. */
export interface DiffFile {
  path: string;
  added: number;
  removed: number;
  binary: boolean;
  /** The file's section of the diff, from its `diff --git` line. */
  text: string;
}

/** Splits a unified diff (as `git diff` writes it) into its files. */
export function splitDiff(diff: string): DiffFile[] {
  const starts = [...diff.matchAll(/^diff --git /gm)].map((m) => m.index);
  if (starts.length === 0) return [];
  return starts.map((start, i) => {
    const text = diff.slice(start, starts[i + 1] ?? diff.length);
    const header = text.slice(0, text.indexOf("\n") + 1 || text.length);
    const plus = text.match(/^\+\+\+ b\/(.*)$/m)?.[1];
    const minus = text.match(/^--- a\/(.*)$/m)?.[1];
    const fromHeader = header.match(/^diff --git a\/(.*?) b\/(.*)$/m);
    const path = plus ?? minus ?? fromHeader?.[2] ?? "(unknown)";
    let added = 0;
    let removed = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith("+") && !line.startsWith("+++ ")) added++;
      else if (line.startsWith("-") && !line.startsWith("--- ")) removed++;
    }
    const binary = /^Binary files .* differ$/m.test(text) ||
      /^GIT binary patch$/m.test(text);
    return { path, added, removed, binary, text };
  });
}

/** `git diff --stat`-style lines: `path | N +++--` and the totals line. */
export function diffStat(files: readonly DiffFile[]): string {
  if (files.length === 0) return "0 files changed";
  const width = Math.min(60, Math.max(...files.map((f) => f.path.length)));
  const most = Math.max(1, ...files.map((f) => f.added + f.removed));
  const lines = files.map((f) => {
    const name = f.path.length > width
      ? `…${f.path.slice(f.path.length - width + 1)}`
      : f.path.padEnd(width);
    if (f.binary) return ` ${name} | Bin`;
    const changes = f.added + f.removed;
    let bar = Math.max(changes > 0 ? 1 : 0, Math.round(changes / most * 40));
    if (f.added > 0 && f.removed > 0) bar = Math.max(bar, 2);
    const plus = f.removed === 0 ? bar : f.added === 0 ? 0 : Math.min(
      bar - 1,
      Math.max(1, Math.round(bar * f.added / changes)),
    );
    return ` ${name} | ${String(changes).padStart(5)} ${"+".repeat(plus)}${
      "-".repeat(bar - plus)
    }`;
  });
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  const s = (n: number) => (n === 1 ? "" : "s");
  lines.push(
    ` ${files.length} file${s(files.length)} changed, ${added} insertion${
      s(added)
    }(+), ${removed} deletion${s(removed)}(-)`,
  );
  return lines.join("\n");
}

/**
 * The diff within about `maxChars`: the stat summary, then each file's
 * section cut to its share (head and tail kept, with a marker naming what was
 * left out). A diff that fits is returned whole after the summary.
 */
export function digestDiff(diff: string, maxChars: number): string {
  const files = splitDiff(diff);
  if (files.length === 0) return diff.trim() ? capSection(diff, maxChars) : "";
  const stat = diffStat(files);
  const left = Math.max(0, maxChars - stat.length - 2);
  const shares = fairShares(files.map((f) => f.text.length), left);
  const sections = files.map((f, i) => capSection(f.text, shares[i]!));
  return `${stat}\n\n${sections.join("")}`;
}

/** Water-filling: each size gets min(size, an equal share of what the smaller ones left). */
function fairShares(sizes: number[], total: number): number[] {
  const order = sizes.map((size, i) => ({ size, i })).sort((a, b) =>
    a.size - b.size
  );
  const shares = new Array<number>(sizes.length).fill(0);
  let left = total;
  order.forEach(({ size, i }, k) => {
    const share = Math.floor(left / (order.length - k));
    shares[i] = Math.min(size, share);
    left -= shares[i]!;
  });
  return shares;
}

/** A section cut to `chars` (at least its header), head and tail kept on line boundaries. */
function capSection(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const lines = text.split("\n");
  const header = lines.slice(0, 4).join("\n");
  const room = Math.max(0, chars - header.length);
  const head = text.slice(
    header.length,
    header.length + Math.floor(room * 0.7),
  );
  const headCut = head.slice(0, head.lastIndexOf("\n") + 1);
  const tailStart = text.length - Math.floor(room * 0.3);
  const tailFrom = text.indexOf("\n", tailStart);
  const tail = tailFrom < 0 || tailFrom < header.length + headCut.length
    ? ""
    : text.slice(tailFrom + 1);
  const omitted = text.length - header.length - headCut.length - tail.length;
  const omittedLines = text.slice(
    header.length + headCut.length,
    text.length - tail.length,
  ).split("\n").length - 1;
  return `${header}${headCut.startsWith("\n") ? "" : "\n"}${headCut}` +
    `[… ${omittedLines} lines (${omitted} characters) of this file's diff omitted …]\n` +
    tail + (tail.endsWith("\n") || tail === "" ? "" : "\n");
}
