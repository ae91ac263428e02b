/** The matching itself, shared by the worker and its tests. */

/** What the worker is asked. */
export interface SearchRequest {
  pattern: string;
  files: { path: string; content: string }[];
  /** Matching lines returned at most (all are counted). */
  maxMatches: number;
  /** A line is tested on its first `4 × maxLineChars` characters and shown up to `maxLineChars`. */
  maxLineChars: number;
}

/** `path:line: text` of the first matches, and how many lines matched in all. */
export interface SearchResult {
  matches: string[];
  total: number;
}

/** Matches every line of every file (the pattern is valid: the caller compiled it). */
export function matchLines(req: SearchRequest): SearchResult {
  const regex = new RegExp(req.pattern);
  const matches: string[] = [];
  let total = 0;
  for (const file of req.files) {
    const lines = file.content.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] ?? "").slice(0, 4 * req.maxLineChars);
      if (!regex.test(line)) continue;
      total++;
      if (matches.length < req.maxMatches) {
        const shown = line.length > req.maxLineChars
          ? `${line.slice(0, req.maxLineChars)}…`
          : line;
        matches.push(`${file.path}:${i + 1}: ${shown}`);
      }
    }
  }
  return { matches, total };
}
