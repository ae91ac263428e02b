/**
 * SE tools benchmark (issue #11): on a generated repository of ≥ 15,000 files
 * (one 5,000-line file, one folder of 3,000 entries), the 7-step exploration —
 * list the root, list a folder, search a common identifier, search an absent
 * one, read the big file, one edit, finish — replayed through the real service
 * with the scripted model. Reports the prompt tokens the turn sent (o200k_base
 * via gpt-tokenizer), the largest request, search_files against `git grep -n`
 * on the same pattern side by side, and RSS.
 */
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { join } from "node:path";
import { poVerdict, reply, toolCall } from "../lib/llm/testing.ts";
import { withHarness } from "../tests/support/harness.ts";
import { WorkingCopy } from "../lib/workspace/mod.ts";
import { machine } from "./runtime_stats.ts";
import {
  ABSENT_IDENTIFIER,
  BIG_FILE,
  BIG_FOLDER,
  COMMON_IDENTIFIER,
  largeRepoFiles,
} from "./large_repo.ts";

const SEARCH_ROUNDS = 15;
const TARGET_TOTAL_TOKENS = 60_000;
const TARGET_MAX_REQUEST = 25_000;
const TARGET_SEARCH_RATIO = 1.5;
const TARGET_RSS_MB = 50;

interface Message {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
}

/** Prompt tokens of one chat request: message contents, tool calls and tool schemas, 4 per message. */
function requestTokens(body: { messages: Message[]; tools?: unknown }): number {
  let tokens = body.tools ? encode(JSON.stringify(body.tools)).length : 0;
  for (const m of body.messages) {
    tokens += 4 + encode(m.role).length;
    if (typeof m.content === "string") tokens += encode(m.content).length;
    if (m.tool_calls) tokens += encode(JSON.stringify(m.tool_calls)).length;
  }
  return tokens;
}

/** Median of the timings, in ms. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function gitGrep(dir: string, pattern: string): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command("git", {
    args: ["grep", "-n", pattern],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (out.code > 1) throw new Error(`git grep failed with ${out.code}`);
  return performance.now() - started;
}

/** Peak RSS growth (MB) while `fn` runs, sampled every 2 ms. */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 2);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, Deno.memoryUsage().rss);
  return (peak - before) / 1024 / 1024;
}

const check = (ok: boolean) => (ok ? "met" : "**missed**");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Runs the benchmark and returns its RESULTS.md section. */
export async function runSeToolsBench(): Promise<string> {
  const files = largeRepoFiles();
  const editLine = `  const value_2500 = compute(2500, "item-2500");`;
  const script = {
    se: [
      reply(toolCall("list_files", {})),
      reply(toolCall("list_files", { path: "ext" })),
      reply(toolCall("search_files", { pattern: COMMON_IDENTIFIER })),
      reply(toolCall("search_files", { pattern: ABSENT_IDENTIFIER })),
      reply(toolCall("read_file", { path: BIG_FILE })),
      reply(toolCall("edit_file", {
        path: BIG_FILE,
        old_text: editLine,
        new_text:
          `  const value_2500 = compute(2500, "item-2500", { cached: true });`,
      })),
      reply(toolCall("finish", { summary: "Cached value 2500." })),
    ],
    po: [poVerdict("PASS", "Looks right.")],
  };
  let section = "";
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }, 5);
  const rssAtStart = Deno.memoryUsage().rss;
  try {
    await withHarness({ script, files }, async (h) => {
      const started = performance.now();
      const run = await h.submit(
        h.workOrder({ max_iterations: 1 }, "Cache value 2500."),
      );
      const done = await h.waitForEnd(run.id, 600_000);
      const runMs = performance.now() - started;
      if (done.status !== "SUCCEEDED") {
        throw new Error(`bench run ended ${done.status}: ${done.error ?? ""}`);
      }
      const se = h.model.requests.filter((r) => r.agent === "se");
      const perRequest = se.map((r) =>
        requestTokens(r.body as { messages: Message[]; tools?: unknown })
      );
      const total = perRequest.reduce((a, b) => a + b, 0);
      const largest = Math.max(...perRequest);
      // Each call's result as first sent (the request after it); later requests may carry a stub.
      const toolResults = se.slice(1).map((r) => {
        const last = (r.body as { messages: Message[] }).messages.filter((m) =>
          m.role === "tool"
        ).at(-1);
        return encode(String(last?.content ?? "")).length;
      });

      // search_files against git grep -n on the SE's own working copy, alternating.
      const dir = join(h.dir, "workspaces", `${run.id}.se`);
      const base = new TextDecoder().decode(
        (await new Deno.Command("git", {
          args: ["rev-parse", "refs/aos/base"],
          cwd: dir,
          stdout: "piped",
        }).output()).stdout,
      ).trim();
      const wc = await WorkingCopy.open({
        root: join(h.dir, "workspaces"),
        runId: run.id,
        repo: h.remote,
        baseCommit: base,
        earlier: [],
        policy: { allowed: [], forbidden: [] },
      });
      if (wc.dir !== dir) throw new Error(`unexpected working copy ${wc.dir}`);
      const ours: number[] = [];
      const grep: number[] = [];
      let growth = 0;
      for (let i = 0; i < SEARCH_ROUNDS; i++) {
        grep.push(await gitGrep(dir, COMMON_IDENTIFIER));
        const t = performance.now();
        growth = Math.max(
          growth,
          await rssGrowth(() => wc.searchFiles(COMMON_IDENTIFIER)),
        );
        ours.push(performance.now() - t);
      }
      const ratio = median(ours) / median(grep);
      const matches = (await new Deno.Command("git", {
        args: ["grep", "-c", COMMON_IDENTIFIER],
        cwd: dir,
        stdout: "piped",
      }).output()).stdout;
      const matchCount = new TextDecoder().decode(matches).trim().split("\n")
        .reduce((sum, line) => sum + Number(line.split(":").pop()), 0);
      const called = script.se.map((r) =>
        "tool_calls" in r ? r.tool_calls[0]?.name ?? "" : ""
      );
      const rows = perRequest.map((tokens, i) =>
        `| ${i + 1} | ${called[i] ?? ""} | ${fmt(tokens)} | ${
          i < toolResults.length ? fmt(toolResults[i]!) : "—"
        } |`
      );
      section = [
        "## SE tools: the 7-step exploration on a large repository",
        "",
        `${await machine()}; repository: ${
          fmt(Object.keys(files).length)
        } files, ` +
        `${BIG_FILE} of 5,000 lines, ${BIG_FOLDER}/ of 3,000 entries; ` +
        `common identifier \`${COMMON_IDENTIFIER}\` on ${
          fmt(matchCount)
        } lines. ` +
        "Replayed through the real service (HTTP API, actors, bwrap) with the scripted model; " +
        `the run took ${
          (runMs / 1000).toFixed(1)
        } s. Tokens are counted with the o200k_base ` +
        "tokenizer (npm `gpt-tokenizer`) over each request's message contents, tool calls and " +
        "tool schemas, plus 4 per message.",
        "",
        "| request | tool the model then called | prompt tokens sent | tokens of that call's result |",
        "| --- | --- | --- | --- |",
        ...rows,
        "",
        "| measure | value | target | |",
        "| --- | --- | --- | --- |",
        `| prompt tokens of the 7 requests | ${fmt(total)} | ≤ ${
          fmt(TARGET_TOTAL_TOKENS)
        } | ${check(total <= TARGET_TOTAL_TOKENS)} |`,
        `| largest single request | ${fmt(largest)} | ≤ ${
          fmt(TARGET_MAX_REQUEST)
        } | ${check(largest <= TARGET_MAX_REQUEST)} |`,
        `| search_files / \`git grep -n\` (median of ${SEARCH_ROUNDS}, alternating) | ${
          ratio.toFixed(2)
        }× (${median(ours).toFixed(0)} ms / ${
          median(grep).toFixed(0)
        } ms) | ≤ ${TARGET_SEARCH_RATIO}× | ${
          check(ratio <= TARGET_SEARCH_RATIO)
        } |`,
        `| RSS growth during one search (max of ${SEARCH_ROUNDS}) | ${
          growth.toFixed(1)
        } MB | ≤ ${TARGET_RSS_MB} MB | ${check(growth <= TARGET_RSS_MB)} |`,
        `| peak RSS of the process (service, model, bench) | ${
          (peakRss / 1024 / 1024).toFixed(0)
        } MB (${
          ((peakRss - rssAtStart) / 1024 / 1024).toFixed(0)
        } MB above its start) | — | |`,
        "",
      ].join("\n");
    });
  } finally {
    clearInterval(sampler);
  }
  return section;
}

if (import.meta.main) console.log(await runSeToolsBench());
