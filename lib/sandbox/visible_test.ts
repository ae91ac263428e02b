/**
 * Attacks on what the sandbox shows: a command looks for the service's files —
 * the KV, another run's workspace, the mirrors and environments under
 * WORKSPACE_ROOT, the credentials and secrets files, $HOME, the service's
 * source — and tries to read them. They are outside the allow-list, or masked
 * where they lie inside a system dir (/opt, /etc). Plain (SE, acceptance),
 * with network (setup) and over layers; as root and as an unprivileged user.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunCommandOptions } from "./sandbox.ts";
import { NOBODY, refusedNetwork, runAsUser } from "./testing.ts";
import { pathsToMask, serviceRoot, unreadableEtc } from "./visible.ts";

/** A service laid out under `base`: what the Dockerfile puts under /data, plus credentials and a home. */
interface Service {
  env: Record<string, string>;
  workspace: string;
  layer: string;
  /** Paths that must be absent or unreadable inside, with the secret each holds. */
  secrets: { path: string; text: string }[];
}

async function layOut(base: string): Promise<Service> {
  const data = join(base, "data");
  const root = join(data, "workspaces");
  const files: Record<string, string> = {
    [join(data, "aos.kv")]: "KV-RECORDS-OF-EVERY-RUN",
    [join(root, "run-2/private.txt")]: "ANOTHER-RUNS-WORKSPACE",
    [join(root, ".cache/mirror.git/config")]: "MIRROR-CONFIG",
    [join(root, ".envs/e1/tree/tool")]: "CACHED-ENVIRONMENT",
    [join(base, "etc/creds.json")]: "GIT-CREDENTIAL-TOKEN",
    [join(base, "etc/secrets.json")]: "AOS-SECRETS-VALUE",
    [join(base, "home/.bash_history")]: "SHELL-HISTORY",
    [join(base, "home/.config/gh/hosts.yml")]: "GH-TOKEN",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  const workspace = join(root, "run-1");
  await Deno.mkdir(workspace, { recursive: true });
  return {
    env: {
      AOS_KV: join(data, "aos.kv"),
      WORKSPACE_ROOT: root,
      AOS_GIT_CREDENTIALS: `@${join(base, "etc/creds.json")}`,
      AOS_SECRETS: `@${join(base, "etc/secrets.json")}`,
      HOME: join(base, "home"),
    },
    workspace,
    layer: join(root, ".envs/e1/tree"),
    secrets: Object.entries(files).map(([path, text]) => ({ path, text })),
  };
}

/** A shell line that reports every listed path it can see (`SEEN <path>`) and prints what it can read. */
function snoop(paths: string[]): string {
  return [
    ...paths.map((p) =>
      `if [ -e '${p}' ]; then echo 'SEEN ${p}'; cat '${p}' 2>/dev/null; fi`
    ),
    "echo end",
  ].join("; ");
}

function assertHidden(service: Service, output: string, label: string) {
  assert.match(output, /^end$/m, `${label}: the probe ran\n${output}`);
  for (const { path, text } of service.secrets) {
    assert.ok(!output.includes(text), `${label}: read ${path}\n${output}`);
  }
  const seen = output.split("\n").filter((l) => l.startsWith("SEEN "));
  // A masked file may exist as an empty, unreadable placeholder; a dir as an empty tmpfs.
  const allowedSeen = (line: string) =>
    service.secrets.every((s) => !line.endsWith(s.path) || masked(s.path));
  const masked = (path: string) =>
    path.startsWith("/opt/") || path.startsWith("/etc/");
  assert.deepEqual(
    seen.filter((l) => !allowedSeen(l)),
    [],
    `${label}\n${output}`,
  );
}

const VARIANTS: {
  name: string;
  extra: (s: Service) => Partial<RunCommandOptions>;
}[] = [
  { name: "SE and acceptance commands", extra: () => ({}) },
  { name: "setup (with network)", extra: () => ({ network: true }) },
  {
    name: "setup (AOS_SETUP_NETWORK=host)",
    extra: () => ({ network: true, hostNetwork: true }),
  },
  {
    name: "over layers (overlay wrapper)",
    extra: (s) => ({ layers: [s.layer] }),
  },
];

async function chownTree(path: string, uid: number): Promise<void> {
  await Deno.chown(path, uid, uid);
  if (!(await Deno.lstat(path)).isDirectory) return;
  for await (const entry of Deno.readDir(path)) {
    await chownTree(join(path, entry.name), uid);
  }
}

/** Lays out a service under `parent`, owned by `owner` (the service user), runs `fn`, removes it. */
async function withService(
  parent: string,
  owner: number | null,
  fn: (s: Service) => Promise<void>,
): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "aos-visible-", dir: parent });
  try {
    const service = await layOut(base);
    if (owner !== null && Deno.uid() === 0) await chownTree(base, owner);
    await fn(service);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

for (const variant of VARIANTS) {
  for (const user of ["root", "a normal user"] as const) {
    const owner = user === "root" ? null : NOBODY;
    const go = (service: Service, command: string) => {
      const opts = {
        command,
        cwd: service.workspace,
        mode: "bwrap" as const,
        hideDirs: [service.env.WORKSPACE_ROOT!],
        ...variant.extra(service),
      };
      return owner === null
        // A child process with the service's environment: setting it in this
        // process would leak into the test files running beside this one.
        ? runAsUser(0, opts, service.env)
        : runAsUser(owner, opts, service.env);
    };

    Deno.test(`runCommand() [bwrap] ${variant.name}, service as ${user}: the service's files are not there`, async () => {
      await withService("/var/tmp", owner, async (service) => {
        const source = serviceRoot()!;
        const paths = [
          ...service.secrets.map((s) => s.path),
          join(service.env.WORKSPACE_ROOT!, ".cache"),
          join(service.env.WORKSPACE_ROOT!, "run-2"),
          join(source, "main.ts"),
          "/root",
          "/work",
        ];
        const result = await go(
          service,
          `${snoop(paths)}; ls -A '${service.env.WORKSPACE_ROOT}'`,
        );
        if (refusedNetwork(result)) return;
        assertHidden(service, result.output, `${variant.name} as ${user}`);
        for (const p of paths.slice(-3)) {
          assert.doesNotMatch(result.output, new RegExp(`^SEEN ${p}$`, "m"));
        }
        // Only the run's own workspace is under WORKSPACE_ROOT.
        assert.equal(result.output.trimEnd().split("\n").at(-1), "run-1");
      });
    });

    Deno.test({
      name:
        `runCommand() [bwrap] ${variant.name}, service as ${user}: its files inside /opt and /etc are masked`,
      // Laying out a service in /opt and /etc needs root on the host.
      ignore: Deno.uid() !== 0,
      fn: async () => {
        await withService("/opt", owner, async (service) => {
          // A root-only file in /etc: as root the sandbox uid maps to its owner.
          const etcSecret = `/etc/aos-test-${crypto.randomUUID()}.key`;
          await Deno.writeTextFile(etcSecret, "ROOT-ONLY-KEY", { mode: 0o600 });
          await Deno.chmod(etcSecret, 0o600);
          try {
            const paths = service.secrets.map((s) => s.path);
            const result = await go(
              service,
              `cat ${etcSecret} 2>/dev/null; ${snoop(paths)}`,
            );
            if (refusedNetwork(result)) return;
            assertHidden(service, result.output, `${variant.name} as ${user}`);
            assert.doesNotMatch(result.output, /ROOT-ONLY-KEY/);
            assert.equal(result.output.trimEnd().split("\n").at(-1), "end");
          } finally {
            await Deno.remove(etcSecret);
          }
        });
      },
    });
  }
}

Deno.test("pathsToMask() keeps only existing paths inside bound system dirs, by real path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos-mask-", dir: "/var/tmp" });
  try {
    await Deno.symlink("/usr/share", join(dir, "link"));
    assert.deepEqual(
      await pathsToMask([
        dir,
        "/usr/share/doc",
        join(dir, "link"),
        "/",
        "/nope",
      ]),
      ["/usr/share/doc", "/usr/share"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unreadableEtc() lists what other users cannot read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aos-etc-" });
  try {
    await Deno.mkdir(join(dir, "open/closed"), { recursive: true });
    await Deno.writeTextFile(join(dir, "open/public"), "x", { mode: 0o644 });
    await Deno.writeTextFile(join(dir, "open/private"), "x");
    await Deno.chmod(join(dir, "open/private"), 0o640);
    await Deno.chmod(join(dir, "open/closed"), 0o750);
    assert.deepEqual(
      (await unreadableEtc(dir)).sort(),
      [join(dir, "open/closed"), join(dir, "open/private")],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
