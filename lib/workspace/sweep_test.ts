import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureMirror, git, mirrorDir } from "../git/mod.ts";
import { sweepWorkspaces } from "./sweep.ts";
import { prepareWorkspace } from "./workspace.ts";

const HOUR = 3_600_000;
const AUTHOR = {
  GIT_AUTHOR_NAME: "Seed",
  GIT_AUTHOR_EMAIL: "seed@example.com",
  GIT_COMMITTER_NAME: "Seed",
  GIT_COMMITTER_EMAIL: "seed@example.com",
};

async function bareRepo(base: string, name: string): Promise<string> {
  const remote = join(base, `${name}.git`);
  const seed = join(base, `${name}-seed`);
  await git(["init", "-q", "--bare", "-b", "main", remote]);
  await git(["init", "-q", "-b", "main", seed]);
  await Deno.writeTextFile(join(seed, "README.md"), `# ${name}\n`);
  await git(["add", "--all"], { cwd: seed });
  await git(["commit", "-q", "-m", "initial"], { cwd: seed, env: AUTHOR });
  await git(["push", "-q", remote, "HEAD:refs/heads/main"], { cwd: seed });
  return remote;
}

async function withBase(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-sweep-" }),
  );
  try {
    await fn(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("sweepWorkspaces() removes finished runs' workspaces after their retention, keeps live and unknown ones", async () => {
  await withBase(async (base) => {
    const root = join(base, "workspaces");
    const now = Date.parse("2026-12-01T12:00:00Z");
    const finished = new Date(now - 60_000).toISOString();
    const runs: Record<string, { status: string; finished_at: string | null }> =
      {
        "01a2aaaa-0000-7000-8000-000000000001": {
          status: "SUCCEEDED",
          finished_at: finished,
        },
        "01a2aaaa-0000-7000-8000-000000000002": {
          status: "FAILED",
          finished_at: finished,
        },
        "01a2aaaa-0000-7000-8000-000000000003": {
          status: "RUNNING",
          finished_at: null,
        },
        "01a2aaaa-0000-7000-8000-000000000004": {
          status: "CANCELLED",
          finished_at: finished,
        },
      };
    const dirs = [
      ...Object.keys(runs),
      "01a2aaaa-0000-7000-8000-000000000004.se",
      "01a2aaaa-0000-7000-8000-00000000ffff", // not a run of this store
      ".cache",
    ];
    for (const name of dirs) {
      await Deno.mkdir(join(root, name, "sub"), { recursive: true });
      await Deno.writeTextFile(join(root, name, "sub", "file.txt"), "x");
    }
    // A command left a read-only directory behind.
    await Deno.chmod(join(root, Object.keys(runs)[0]!, "sub"), 0o555);
    const sweep = (at: number) =>
      sweepWorkspaces({
        root,
        runOf: (id) => Promise.resolve(runs[id] ?? null),
        retentionMs: (status) => status === "FAILED" ? HOUR : 0,
        mirrorCacheBytes: 1024 * 1024,
        now: at,
      });
    const first = await sweep(now);
    assert.deepEqual(
      first.workspaces.map((d) => d.slice(root.length + 1)).sort(),
      [
        "01a2aaaa-0000-7000-8000-000000000001",
        "01a2aaaa-0000-7000-8000-000000000004",
        "01a2aaaa-0000-7000-8000-000000000004.se",
      ],
    );
    const left = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(left, [
      ".cache",
      "01a2aaaa-0000-7000-8000-000000000002",
      "01a2aaaa-0000-7000-8000-000000000003",
      "01a2aaaa-0000-7000-8000-00000000ffff",
    ]);
    // The failed run's workspace goes once its longer retention has passed.
    const later = await sweep(now + 2 * HOUR);
    assert.deepEqual(later.workspaces.map((d) => d.slice(root.length + 1)), [
      "01a2aaaa-0000-7000-8000-000000000002",
    ]);
  });
});

Deno.test("sweepWorkspaces() trims the mirror cache least recently used first, never a mirror a live workspace borrows", async () => {
  await withBase(async (base) => {
    const root = join(base, "workspaces");
    const cacheDir = join(root, ".cache");
    const [live, old, newer] = await Promise.all(
      ["live", "old", "newer"].map((name) => bareRepo(base, name)),
    );
    const runId = "01a2bbbb-0000-7000-8000-000000000001";
    const { dir } = await prepareWorkspace({
      root,
      runId,
      repo: live!,
      ref: "main",
    });
    const oldMirror = await ensureMirror({ cacheDir, repo: old! });
    const newerMirror = await ensureMirror({ cacheDir, repo: newer! });
    const liveMirror = await mirrorDir(cacheDir, live!);
    const now = Date.now();
    await Deno.utime(
      liveMirror,
      new Date(now - 3 * HOUR),
      new Date(now - 3 * HOUR),
    );
    await Deno.utime(
      oldMirror,
      new Date(now - 2 * HOUR),
      new Date(now - 2 * HOUR),
    );
    await Deno.utime(newerMirror, new Date(now - HOUR), new Date(now - HOUR));
    const sweep = (mirrorCacheBytes: number, at = now) =>
      sweepWorkspaces({
        root,
        runOf: () => Promise.resolve({ status: "RUNNING", finished_at: null }),
        retentionMs: () => 0,
        mirrorCacheBytes,
        now: at,
      });
    // Within the bound nothing goes.
    assert.deepEqual((await sweep(1024 * 1024 * 1024)).mirrors.removed, []);
    // Over it, the oldest idle mirror goes first, and only as many as needed.
    const sizes = await sweep(1024 * 1024 * 1024);
    const one = await sweep(sizes.mirrors.bytes - 1);
    assert.deepEqual(one.mirrors.removed, [oldMirror]);
    // A bound nothing fits: every idle mirror goes but the borrowed one.
    const all = await sweep(1);
    assert.deepEqual(all.mirrors.removed, [newerMirror]);
    assert.ok(await exists(liveMirror));
    // The live workspace still has every object it borrows.
    const fsck = await git(["fsck", "--connectivity-only"], {
      cwd: dir,
      allowFailure: true,
    });
    assert.equal(fsck.code, 0, fsck.stderr);
    // A mirror used a moment ago is not evicted either.
    const fresh = await ensureMirror({ cacheDir, repo: old! });
    assert.deepEqual((await sweep(1, Date.now())).mirrors.removed, []);
    assert.ok(await exists(fresh));
  });
});
