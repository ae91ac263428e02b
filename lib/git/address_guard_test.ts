import assert from "node:assert/strict";
import {
  checkRepoAddress,
  guardedRemoteEnv,
  type RepoAddressPolicy,
  repoEndpoint,
} from "./address_guard.ts";
import { GitError } from "./errors.ts";
import { ensureMirror } from "./mirror.ts";
import { git } from "./run.ts";

const DNS: Record<string, string[]> = {
  "git.example.com": ["93.184.216.34"],
  "v6.example.com": ["2606:4700::1111"],
  "internal.example.com": ["10.0.0.7"],
  "mixed.example.com": ["93.184.216.34", "127.0.0.1"],
  "forge.lan": ["192.168.1.20"],
};
const guarded = (
  extra: Partial<RepoAddressPolicy> = {},
): RepoAddressPolicy => ({
  allowPrivate: false,
  allowlist: [],
  resolve: (host) => Promise.resolve(DNS[host] ?? []),
  ...extra,
});

Deno.test("repoEndpoint() finds the host and port git will connect to", () => {
  assert.deepEqual(repoEndpoint("https://Git.Example.com/o/r.git"), {
    scheme: "https",
    host: "git.example.com",
    port: 443,
  });
  assert.deepEqual(repoEndpoint("http://0x7f.1:8080/r.git"), {
    scheme: "http",
    host: "127.0.0.1",
    port: 8080,
  });
  assert.deepEqual(repoEndpoint("ssh://git@[::1]:2222/r.git"), {
    scheme: "ssh",
    host: "::1",
    port: 2222,
  });
  assert.deepEqual(repoEndpoint("git@127.0.0.1:o/r.git"), {
    scheme: "ssh",
    host: "127.0.0.1",
    port: 22,
  });
  assert.equal(repoEndpoint("/srv/git/r.git"), null);
  assert.equal(repoEndpoint("file:///srv/git/r.git"), null);
});

Deno.test("checkRepoAddress() refuses loopback, private and link-local repositories in every spelling", async () => {
  for (
    const repo of [
      "http://127.0.0.1:9/r.git",
      "https://localhost/r.git",
      "https://git.localhost:8443/r.git",
      "http://0x7f.1/r.git",
      "http://2130706433/r.git",
      "http://[::1]/r.git",
      "http://[::ffff:127.0.0.1]/r.git",
      "http://169.254.169.254/latest/meta-data",
      "https://internal.example.com/r.git",
      "https://mixed.example.com/r.git",
      "ssh://git@10.1.2.3/r.git",
      "git@192.168.0.1:o/r.git",
      "git@localhost:o/r.git",
    ]
  ) {
    const check = await checkRepoAddress(repo, guarded());
    assert.ok(!check.ok && !check.retry, repo);
    assert.match(check.message, /AOS_REPO_ALLOW_PRIVATE=true/, repo);
  }
  const gone = await checkRepoAddress("https://gone.example/r.git", guarded());
  assert.ok(!gone.ok && gone.retry);
  for (
    const repo of [
      "https://git.example.com/o/r.git",
      "https://v6.example.com/o/r.git",
      "git@git.example.com:o/r.git",
      "/srv/git/r.git",
    ]
  ) assert.ok((await checkRepoAddress(repo, guarded())).ok, repo);
});

Deno.test("checkRepoAddress() trusts AOS_REPO_ALLOW_PRIVATE, and hosts an allow-list entry names literally", async () => {
  const lan = "https://forge.lan/team/r.git";
  assert.ok(!(await checkRepoAddress(lan, guarded())).ok);
  assert.ok(
    (await checkRepoAddress(lan, guarded({ allowPrivate: true }))).ok,
  );
  assert.ok(
    (await checkRepoAddress(
      lan,
      guarded({ allowlist: ["https://forge.lan/team/"] }),
    )).ok,
  );
  assert.ok(
    (await checkRepoAddress(
      "git@forge.lan:team/r.git",
      guarded({ allowlist: ["https://forge.lan/"] }),
    )).ok,
  );
  // A glob, or a prefix that only starts like the host, names nothing.
  for (
    const allowlist of [
      ["https://*.lan/"],
      ["https://forge.la"],
      ["https://forge.lan.example.com/"],
    ]
  ) {
    assert.ok(
      !(await checkRepoAddress(lan, guarded({ allowlist }))).ok,
      allowlist[0],
    );
  }
});

Deno.test("guardedRemoteEnv() pins the checked addresses for curl and turns redirects off", async () => {
  const base = {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.https://git.example.com/.extraHeader",
    GIT_CONFIG_VALUE_0: "Authorization: Basic x",
  };
  assert.deepEqual(
    await guardedRemoteEnv(
      "https://git.example.com:8443/o/r.git",
      guarded(),
      base,
    ),
    {
      ...base,
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_1: "http.followRedirects",
      GIT_CONFIG_VALUE_1: "false",
      GIT_CONFIG_KEY_2: "http.curloptResolve",
      GIT_CONFIG_VALUE_2: "git.example.com:8443:93.184.216.34",
    },
  );
  const v6 = await guardedRemoteEnv(
    "https://v6.example.com/r.git",
    guarded(),
    {},
  );
  assert.equal(v6.GIT_CONFIG_VALUE_1, "v6.example.com:443:[2606:4700::1111]");
  // Trusted hosts and local paths are left alone.
  assert.deepEqual(
    await guardedRemoteEnv(
      "https://forge.lan/r.git",
      guarded({ allowPrivate: true }),
      base,
    ),
    base,
  );
  assert.deepEqual(await guardedRemoteEnv("/srv/r.git", guarded(), {}), {});
  await assert.rejects(
    guardedRemoteEnv("https://internal.example.com/r.git", guarded(), {}),
    (e: unknown) => e instanceof GitError && e.reason === "address_refused",
  );
});

/** A loopback HTTP listener that counts requests. */
function listener() {
  let hits = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      hits++;
      return new Response("no", { status: 404 });
    },
  );
  return {
    port: server.addr.port,
    hits: () => hits,
    close: () => server.shutdown(),
  };
}

Deno.test("ensureMirror() refuses a repository that resolves to loopback before any request (DNS rebinding included)", async () => {
  const target = listener();
  const cacheDir = await Deno.makeTempDir({ prefix: "aos-guard-" });
  try {
    for (
      const repo of [
        `http://127.0.0.1:${target.port}/r.git`,
        `http://git.localhost:${target.port}/r.git`,
        // DNS answers loopback at fetch time, whatever it said at submit.
        `http://rebind.example.com:${target.port}/r.git`,
      ]
    ) {
      await assert.rejects(
        ensureMirror({
          cacheDir,
          repo,
          addressPolicy: guarded({
            resolve: () => Promise.resolve(["127.0.0.1"]),
          }),
        }),
        (e: unknown) => e instanceof GitError && e.reason === "address_refused",
        repo,
      );
    }
    assert.equal(target.hits(), 0);
  } finally {
    await target.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("git connects where http.curloptResolve pins a name, not where its own lookup would go", async () => {
  // The mechanism guardedRemoteEnv() relies on: a name no resolver knows
  // reaches the pinned address.
  const target = listener();
  try {
    const result = await git(
      ["ls-remote", `http://pinned.invalid:${target.port}/r.git`],
      {
        allowFailure: true,
        env: {
          GIT_CONFIG_COUNT: "1",
          GIT_CONFIG_KEY_0: "http.curloptResolve",
          GIT_CONFIG_VALUE_0: `pinned.invalid:${target.port}:127.0.0.1`,
        },
      },
    );
    assert.notEqual(result.code, 0);
    assert.ok(target.hits() > 0, result.stderr);
  } finally {
    await target.close();
  }
});
