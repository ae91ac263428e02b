/**
 * The LangGraph JS peer of benchmark (c). `better-sqlite3` (the SQLite
 * checkpointer's driver) is a legacy V8 addon that Deno cannot load, so the
 * peer runs under Node from bench/langgraph/, whose node_modules this installs
 * with `npm install` on first use.
 */
import { benchKv } from "./runtime_stats.ts";

const peerDir = new URL("./langgraph/", import.meta.url).pathname;

/** Figures reported by the peer, or why it could not run. */
export type PeerFigures =
  | {
    ok: true;
    steps: number;
    ms: number;
    stepsPerSec: number;
    versions: string;
  }
  | { ok: false; reason: string };

async function run(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const result = await new Deno.Command(cmd, {
      args,
      cwd: peerDir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      ok: result.success,
      out: dec.decode(result.stdout),
      err: dec.decode(result.stderr),
    };
  } catch (error) {
    return {
      ok: false,
      out: "",
      err: error instanceof Error ? error.message : String(error),
    };
  }
}

async function installedVersions(
  checkpointer: "sqlite" | "postgres",
): Promise<string> {
  const names = [
    "@langchain/langgraph",
    `@langchain/langgraph-checkpoint-${checkpointer}`,
    "@langchain/core",
    checkpointer === "sqlite" ? "better-sqlite3" : "pg",
  ];
  const parts: string[] = [];
  for (const name of names) {
    try {
      const pkg = JSON.parse(
        await Deno.readTextFile(`${peerDir}node_modules/${name}/package.json`),
      );
      parts.push(`${name}@${pkg.version}`);
    } catch {
      parts.push(`${name}@?`);
    }
  }
  const node = await run("node", ["--version"]);
  return `${parts.join(", ")}, Node ${node.out.trim() || "?"}`;
}

/**
 * Runs the LangGraph loop (`runs` runs of `iterations` SE→TR→PO iterations)
 * under Node, on the SQLite checkpointer, or on the Postgres one when
 * `postgresUrl` is given.
 */
export async function benchLangGraph(
  runs = 200,
  iterations = 5,
  postgresUrl?: string,
): Promise<PeerFigures> {
  const node = await run("node", ["--version"]);
  if (!node.ok) {
    return { ok: false, reason: `Node is not available: ${node.err.trim()}` };
  }
  try {
    await Deno.stat(
      `${peerDir}node_modules/@langchain/langgraph-checkpoint-sqlite`,
    );
    await Deno.stat(
      `${peerDir}node_modules/@langchain/langgraph-checkpoint-postgres`,
    );
  } catch {
    const install = await run("npm", ["install", "--no-audit", "--no-fund"]);
    if (!install.ok) {
      return {
        ok: false,
        reason: `npm install failed: ${install.err.trim().slice(-500)}`,
      };
    }
  }
  const { dir, close } = await benchKv();
  try {
    const peer = await run("node", [
      "peer.mjs",
      postgresUrl ?? `${dir}/langgraph.db`,
      String(runs),
      String(iterations),
    ]);
    if (!peer.ok) {
      return {
        ok: false,
        reason: `peer failed: ${peer.err.trim().slice(-500)}`,
      };
    }
    const line = peer.out.trim().split("\n").pop() ?? "";
    const figures = JSON.parse(line) as {
      steps: number;
      ms: number;
      stepsPerSec: number;
    };
    return {
      ok: true,
      ...figures,
      versions: await installedVersions(postgresUrl ? "postgres" : "sqlite"),
    };
  } finally {
    await close();
  }
}
