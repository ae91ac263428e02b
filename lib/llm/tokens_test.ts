import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import {
  countMessageTokens,
  countTextTokens,
  EXACT_COUNT_CHARS,
} from "./tokens.ts";
import { MAX_LAG_MS, withLagProbe } from "../../tests/support/loop_lag.ts";

const MIB = 1024 * 1024;

/** Letters the tokenizer's cache has not seen: the most expensive text per character. */
function randomLetters(length: number, seed = 1): string {
  let state = seed;
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[i] = String.fromCharCode(97 + (state % 26));
  }
  return out.join("");
}

Deno.test("countTextTokens() is exact for ordinary text up to EXACT_COUNT_CHARS", async () => {
  const source = await Deno.readTextFile(
    new URL("./client.ts", import.meta.url),
  );
  for (
    const text of [
      "hello world",
      "a  b   c\n\n  d",
      source.slice(0, EXACT_COUNT_CHARS),
      "def add(a, b):\n    return a + b\n".repeat(100),
    ]
  ) {
    assertEquals(countTextTokens(text), countTokens(text));
  }
  assertEquals(countTextTokens(""), 0);
});

Deno.test("countTextTokens() estimates long code within 10% and long markdown on the safe side", async () => {
  const dir = new URL("../agents/", import.meta.url);
  let code = "";
  for (const name of ["context.ts", "conversation.ts", "diff_digest.ts"]) {
    code += await Deno.readTextFile(new URL(name, dir));
  }
  assert(code.length > EXACT_COUNT_CHARS * 4);
  const ratio = (text: string) => countTextTokens(text) / countTokens(text);
  assert(Math.abs(ratio(code) - 1) < 0.1, `code: ${ratio(code)}`);
  // Markdown tables padded with spaces vary more; an estimate may run high
  // (a request is cut a little early), never far low. A fixed sample (60 KB
  // of an earlier README): the README itself changes with every feature, and
  // where 16 samples land in a 190 KB mix of tables and prose moved its ratio
  // from 0.99 to 0.90 with no change to the estimator.
  const markdown = await Deno.readTextFile(
    new URL("./testdata/markdown_sample.txt", import.meta.url),
  );
  const r = ratio(markdown);
  assert(r > 0.9 && r < 1.3, `markdown sample: ${r}`);
});

Deno.test("countTextTokens() keeps the event loop free on hostile text: long runs, 1 MiB tasks, 24 MiB replies", async () => {
  const hostile: [string, string][] = [
    ["150 KB of one letter", "a".repeat(150_000)],
    ["100 KB of spaces", " ".repeat(100_000)],
    ["60 KB of unseen letters", randomLetters(60_000)],
    ["1 MiB of unseen letters", randomLetters(MIB, 7)],
    ["24 MiB of one letter", "b".repeat(24 * MIB)],
    ["24 MiB of punctuation", "!?".repeat(12 * MIB)],
  ];
  for (const [name, text] of hostile) {
    // Flattened before the probe: building the string is not what is measured.
    text.charCodeAt(text.length >> 1);
    const { value, lagMs } = await withLagProbe(() => countTextTokens(text));
    assert(value > 0 && value <= text.length, `${name}: ${value} tokens`);
    assert(lagMs < MAX_LAG_MS, `${name}: event loop blocked ${lagMs} ms`);
  }
});

Deno.test("countMessageTokens() bounds a tool call with a huge argument too", async () => {
  const content = randomLetters(150_000, 3);
  const { value, lagMs } = await withLagProbe(() =>
    countMessageTokens({
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "c1",
        type: "function",
        function: {
          name: "write_file",
          arguments: JSON.stringify({ path: "big.txt", content }),
        },
      }],
    })
  );
  assert(value > 10_000, String(value));
  assert(lagMs < MAX_LAG_MS, `event loop blocked ${lagMs} ms`);
});
