import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  throws,
} from "node:assert/strict";
import { MAX_WINDOW_CHARS, readWindow, splitLines } from "./file_window.ts";

Deno.test("splitLines() does not count a trailing newline as a line", () => {
  assertEquals(splitLines(""), []);
  assertEquals(splitLines("a\nb\n"), ["a", "b"]);
  assertEquals(splitLines("a\nb"), ["a", "b"]);
  assertEquals(splitLines("\n"), [""]);
});

Deno.test("readWindow() shows a whole small file, an empty one, and CRLF lines without \\r", () => {
  assertEquals(
    readWindow("a.txt", "x\r\ny\r\n"),
    "a.txt: all 2 lines\n1\tx\n2\ty",
  );
  assertEquals(readWindow("e.txt", ""), "e.txt: empty file (0 lines)");
});

Deno.test("readWindow() windows, clamps the end, and says how to read on", () => {
  const text = Array.from({ length: 1000 }, (_, i) => `l${i + 1}`).join("\n");
  const first = readWindow("f", text);
  assertMatch(first, /^f: lines 1-300 of 1000\n1\tl1\n/);
  assertMatch(
    first,
    /\n300\tl300\n\[lines 301-1000 not shown; read on with start_line=301\]$/,
  );
  assertMatch(
    readWindow("f", text, { startLine: 990, endLine: 5000 }),
    /^f: lines 990-1000 of 1000\n990\tl990[\s\S]*1000\tl1000$/,
  );
  throws(
    () => readWindow("f", text, { startLine: 1001 }),
    /start_line 1001 is past the end of 'f', which has 1000 lines/,
  );
  throws(
    () => readWindow("f", text, { startLine: 5, endLine: 4 }),
    /end_line 4 is before start_line 5/,
  );
});

Deno.test("readWindow() ends a window early at its character limit and cuts long lines", () => {
  const wide = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(500, "w"))
    .join("\n");
  const out = readWindow("w", wide, { startLine: 1, endLine: 300 });
  const shown = out.split("\n").filter((l) => /^\d+\t/.test(l)).length;
  assertEquals(shown, Math.floor(MAX_WINDOW_CHARS / 501));
  assertMatch(
    out,
    new RegExp(
      `\\(window limit reached\\); read on with start_line=${shown + 1}\\]$`,
    ),
  );
  const long = readWindow("m", "z".repeat(5000));
  assertMatch(
    long,
    /^m: all 1 lines\n1\tz{1000}… \[line cut: 5000 characters\]$/,
  );
});
