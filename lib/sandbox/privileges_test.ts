/**
 * Attacks on the sandbox's privileges: a command (a setup script, the SE's
 * run_command, an acceptance command) tries to use root's capabilities to
 * remount the host read-write, unmount what hides the service's files, or
 * make a user namespace of its own to regain capabilities. Run as root and as
 * an unprivileged service user, plain, with network and over overlay layers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunCommandOptions } from "./sandbox.ts";
import { NOBODY, refusedNetwork, run, runAsUser } from "./testing.ts";

const ATTACK = [
  "grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status",
  "mount -o remount,rw / 2>/dev/null && echo REMOUNTED-ROOT",
  "mount -o remount,bind,rw /usr 2>/dev/null && echo REMOUNTED-USR",
  "umount -l /tmp 2>/dev/null && echo UNMOUNTED",
  "unshare -U -r true 2>/dev/null && echo NEW-USERNS",
  "echo end",
].join("; ");

function assertUnprivileged(output: string, label: string): void {
  const field = (name: string) =>
    output.match(new RegExp(`^${name}:\\s+(.*)$`, "m"))?.[1]?.trim();
  for (const cap of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
    assert.equal(field(cap), "0000000000000000", `${label}: ${cap}\n${output}`);
  }
  assert.equal(field("NoNewPrivs"), "1", `${label}: no_new_privs\n${output}`);
  for (const ids of [field("Uid"), field("Gid")]) {
    assert.ok(ids, `${label}: ids shown\n${output}`);
    for (const id of ids.split(/\s+/)) {
      assert.notEqual(id, "0", `${label}: runs as root\n${output}`);
    }
  }
  assert.doesNotMatch(output, /REMOUNTED|UNMOUNTED|NEW-USERNS/, label);
  assert.match(output, /^end$/m, label);
}

/** A workspace and a layer in /var/tmp, owned by `owner` (the service user). */
async function withTree(
  owner: number | null,
  fn: (d: { workspace: string; layer: string }) => Promise<void>,
): Promise<void> {
  const root = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "aos-privileges-", dir: "/var/tmp" }),
  );
  try {
    const workspace = join(root, "run-1");
    const layer = join(root, ".envs/e1");
    await Deno.mkdir(workspace);
    await Deno.mkdir(layer, { recursive: true });
    await Deno.writeTextFile(join(layer, "from-layer"), "x");
    if (owner !== null && Deno.uid() === 0) {
      for (const dir of [root, workspace, join(root, ".envs"), layer]) {
        await Deno.chown(dir, owner, owner);
      }
    }
    await fn({ workspace, layer });
  } finally {
    await Deno.chmod(root, 0o755).catch(() => {});
    await Deno.remove(root, { recursive: true });
  }
}

const VARIANTS: {
  name: string;
  extra: (layer: string) => Partial<RunCommandOptions>;
}[] = [
  { name: "plain (SE and acceptance commands)", extra: () => ({}) },
  { name: "with network (setup)", extra: () => ({ network: true }) },
  {
    name: "with the host's network (setup, AOS_SETUP_NETWORK=host)",
    extra: () => ({ network: true, hostNetwork: true }),
  },
  {
    name: "over layers (overlay wrapper)",
    extra: (layer) => ({ layers: [layer] }),
  },
];

for (const variant of VARIANTS) {
  Deno.test(`runCommand() [bwrap] ${variant.name}: no capabilities, no root, no_new_privs, no remount`, async () => {
    await withTree(null, async ({ workspace, layer }) => {
      const result = await run({
        command: ATTACK,
        cwd: workspace,
        mode: "bwrap",
        ...variant.extra(layer),
      });
      assertUnprivileged(result.output, `as uid ${Deno.uid()}`);
    });
  });

  Deno.test(`runCommand() [bwrap] ${variant.name}, service as a normal user: the same`, async () => {
    await withTree(NOBODY, async ({ workspace, layer }) => {
      const result = await runAsUser(NOBODY, {
        command:
          `${ATTACK}; ls from-layer 2>/dev/null; touch made && echo wrote`,
        cwd: workspace,
        mode: "bwrap",
        ...variant.extra(layer),
      });
      if (refusedNetwork(result)) return;
      assertUnprivileged(result.output, `as uid ${NOBODY}`);
      assert.match(result.output, /^wrote$/m, result.output);
      const info = await Deno.stat(join(workspace, "made"));
      assert.equal(info.uid, Deno.uid() === 0 ? NOBODY : Deno.uid());
    });
  });
}
