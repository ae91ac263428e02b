/**
 * A Deno dir from which another (unprivileged) user runs this repository's
 * modules without a download: this process's npm cache, hard-linked (copied
 * where links cannot cross filesystems) into a dir that user owns. Made once
 * per uid and process, removed when the process ends.
 */
import { join } from "node:path";

const made = new Map<number, Promise<string>>();

/** The Deno dir for `uid` (pass it as DENO_DIR, with `--cached-only`). */
export function userDenoDir(uid: number): Promise<string> {
  let dir = made.get(uid);
  if (!dir) {
    dir = make(uid);
    made.set(uid, dir);
  }
  return dir;
}

async function make(uid: number): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    npmCache: string;
  };
  const dir = await Deno.makeTempDir({
    prefix: `aos-deno-${uid}-`,
    dir: "/var/tmp",
  });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
  const linked = await new Deno.Command("cp", {
    args: ["-al", npmCache, join(dir, "npm")],
    stderr: "null",
  }).output();
  if (!linked.success) {
    await Deno.remove(join(dir, "npm"), { recursive: true }).catch(() => {});
    const copied = await new Deno.Command("cp", {
      args: ["-a", "--reflink=auto", npmCache, join(dir, "npm")],
    }).output();
    if (!copied.success) throw new Error(`Could not copy ${npmCache}`);
  }
  await Deno.chown(dir, uid, uid);
  return dir;
}
