/**
 * Read-only layers beneath a workspace: an overlay mount (lower = the layers,
 * upper = the workspace itself) made in a private user + mount namespace
 * (`unshare`) just before bwrap starts, so a command sees e.g. a cached
 * `node_modules/` in the repo root while every write — a changed or deleted
 * file of a layer included — lands in the workspace and the layer stays as it
 * was. bwrap 0.8 (Debian 12) has no `--overlay`, and the kernel allows overlay
 * mounts in a user namespace since 5.11, so this needs no privileges.
 */
import { basename, dirname, join, resolve } from "node:path";

/** Characters overlayfs's option parser treats specially; such paths are refused. */
const UNSAFE = /[,:\\\s]/;

let probe: Promise<string | null> | null = null;

/** Null when overlay layers work here (probed once per process), else why not. */
export function overlayProblem(): Promise<string | null> {
  probe ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "aos-overlay-probe-" });
    try {
      for (const sub of ["lower", "upper", "work"]) {
        await Deno.mkdir(join(dir, sub));
      }
      await Deno.writeTextFile(join(dir, "lower/seen"), "1");
      const wrapper = await overlayWrapper(
        join(dir, "upper"),
        [join(dir, "lower")],
        join(dir, "work"),
      );
      const out = await new Deno.Command(wrapper[0]!, {
        args: [...wrapper.slice(1), "/bin/cat", join(dir, "upper/seen")],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      if (out.success && text.decode(out.stdout) === "1") return null;
      return text.decode(out.stderr).trim() ||
        `overlay probe exited with code ${out.code}`;
    } catch (error) {
      return error instanceof Deno.errors.NotFound
        ? "unshare (util-linux) is not installed"
        : String(error);
    } finally {
      await removeWorkDir(dir);
    }
  })();
  return probe;
}

/**
 * The command prefix that mounts `layers` (highest first) beneath `upper` at
 * `upper`'s own path, then execs the rest of the command line (bwrap), which
 * inherits the mount. `workDir` is overlayfs's scratch dir on upper's filesystem.
 */
export async function overlayWrapper(
  upper: string,
  layers: string[],
  workDir: string,
): Promise<string[]> {
  const paths = [upper, workDir, ...layers].map((p) => resolve(p));
  for (const path of paths) {
    if (UNSAFE.test(path)) {
      throw new TypeError(
        `Cannot stack layers with path '${path}': overlay paths must not contain commas, colons, backslashes or spaces`,
      );
    }
    if (!(await Deno.stat(path).catch(() => null))?.isDirectory) {
      throw new TypeError(`Overlay directory '${path}' does not exist`);
    }
  }
  const [top, work, ...lower] = paths as [string, string, ...string[]];
  const options = `lowerdir=${
    lower.join(":")
  },upperdir=${top},workdir=${work},userxattr`;
  return [
    "unshare",
    "--user",
    "--map-root-user",
    "--mount",
    "--",
    "/bin/sh",
    "-c",
    'mount -t overlay aos-layers -o "$1" "$2" || exit 125; shift 2; exec "$@"',
    "aos-overlay",
    options,
    top,
  ];
}

/** A fresh overlayfs work dir beside `upper` (it must be on the same filesystem). */
export async function makeWorkDir(upper: string): Promise<string> {
  const abs = resolve(upper);
  return await Deno.makeTempDir({
    dir: dirname(abs),
    prefix: `.${basename(abs)}.overlay-work-`,
  });
}

/** Removes a work dir; overlayfs leaves a mode-000 `work/` inside that needs opening first. */
export async function removeWorkDir(dir: string): Promise<void> {
  await Deno.chmod(join(dir, "work"), 0o700).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
