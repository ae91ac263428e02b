/**
 * Work the service does on the event loop with hostile input (issue #20,
 * finding 6): token counting of a model reply, a task or a file, and the
 * redaction of the same text. "Before" is the unbounded code measured at
 * sizes it finishes in seconds, with the quadratic fit carried to 1 MiB and
 * 24 MiB; "after" is the code in the tree at the full size.
 * Target: token counting ≤ 50 ms at any size; redaction linear, ≤ 100 ms at
 * the model client's 4 MiB reply cap.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { countTextTokens } from "../lib/llm/mod.ts";
import { Redactor } from "../lib/redact.ts";

const MIB = 1024 * 1024;

/** Letters the tokenizer's cache has not seen: the most expensive text per character. */
function unseenLetters(length: number, seed = 42): string {
  let state = seed;
  const out = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[i] = String.fromCharCode(97 + (state % 26));
  }
  return out.join("");
}

/** Milliseconds one call of `fn` takes (best of `reps`, the string flattened first). */
function time(text: string, fn: (text: string) => unknown, reps = 3): number {
  text.charCodeAt(text.length >> 1);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn(text);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** `a · n²` through the measured points, carried to `n`. */
function quadratic(points: [number, number][], n: number): number {
  const a = points.reduce((sum, [x, ms]) => sum + ms / (x * x), 0) /
    points.length;
  return a * n * n;
}

function ms(value: number): string {
  if (value >= 3_600_000) return `~${(value / 3_600_000).toFixed(0)} h`;
  if (value >= 60_000) return `~${(value / 60_000).toFixed(0)} min`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)} s`;
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}

/** The URL-credentials pattern as it was: it could start at every `\b` of `a.a.a.…`. */
const OLD_URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@?#"'<>]+)@/gi;

/** Runs the benchmark and returns its RESULTS.md section. */
export function runBoundedBench(): Promise<string> {
  const rows = [
    "| work | input | before (unbounded) | after |",
    "| --- | --- | --- | --- |",
  ];
  const kinds: [string, (n: number) => string][] = [
    ["one letter", (n) => "a".repeat(n)],
    ["spaces", (n) => " ".repeat(n)],
    ["unseen letters", (n) => unseenLetters(n, n)],
  ];
  for (const [kind, make] of kinds) {
    // After first, each on text of its own: the tokenizer's cache is not what is measured.
    const after = [MIB, 24 * MIB].map((size) =>
      [size, time(make(size), countTextTokens, 1)] as const
    );
    const points: [number, number][] = [8 * 1024, 16 * 1024].map((
      n,
    ) => [n, time(make(n), countTokens, 1)]);
    for (const [size, t] of after) {
      rows.push(
        `| token count | ${size / MIB} MiB of ${kind} | ${
          ms(quadratic(points, size))
        } (fit: ${
          points.map(([n, t]) => `${n / 1024} KiB ${ms(t)}`).join(", ")
        }) | ${ms(t)} |`,
      );
    }
  }
  const redactor = new Redactor(["sk-bench-secret-0123456789"]);
  const oldUrl = (text: string) => text.replace(OLD_URL_PATTERN, "x");
  const dots = (n: number) => "a.".repeat(n / 2);
  const points: [number, number][] = [8 * 1024, 16 * 1024].map((
    n,
  ) => [n, time(dots(n), oldUrl, 1)]);
  for (const size of [MIB, 4 * MIB]) {
    rows.push(
      `| redact (URL pattern) | ${size / MIB} MiB of \`a.a.a.…\` | ${
        ms(quadratic(points, size))
      } (fit: ${
        points.map(([n, t]) => `${n / 1024} KiB ${ms(t)}`).join(", ")
      }) | ${
        ms(time(dots(size), (t) => redactor.redact(t), 1))
      } (whole redact) |`,
    );
  }
  const readme = Deno.readTextFileSync(
    new URL("../README.md", import.meta.url),
  );
  const exact = countTokens(readme);
  const estimate = countTextTokens(readme);
  return Promise.resolve(
    [
      "## Bounded work on the event loop",
      "",
      `Measured ${
        new Date().toISOString().slice(0, 10)
      } on ${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} CPUs (shared), Deno ${Deno.version.deno}. ` +
      "Token counting hands text to the tokenizer in short pieces and estimates text past 4 KiB from 16 samples (lib/llm/tokens.ts); " +
      "the model client reads at most 4 MiB of a reply, so a 24 MiB reply is refused before any of this runs. " +
      "Before: `gpt-tokenizer` on the whole string, and the old URL pattern, timed at 8 and 16 KiB and carried to full size (both grow with the square of the length). Target: token counting ≤ 50 ms at any size; redaction ≤ 100 ms at the 4 MiB reply cap.",
      "",
      ...rows,
      "",
      `Estimate on README.md (${readme.length} chars): ${estimate} tokens against ${exact} exact (${
        ((estimate - exact) / exact * 100).toFixed(1)
      }%).`,
      "",
    ].join("\n"),
  );
}

if (import.meta.main) console.log(await runBoundedBench());
