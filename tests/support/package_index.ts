/**
 * A package index on loopback for setup tests: a PEP 503 "simple" index
 * serving real wheels (pip installs them) and an npm registry serving real
 * tarballs (npm ci installs them). Packages are built by the test itself.
 */
import { join } from "node:path";
import { runCommand, writeFiles } from "../../lib/workspace/testing.ts";

/** A Python module to ship as a wheel: files relative to site-packages. */
export interface WheelSpec {
  name: string;
  version: string;
  files: Record<string, string>;
}

/** An npm package: files relative to the package root (package.json is added). */
export interface NpmSpec {
  name: string;
  version: string;
  files: Record<string, string>;
}

/** The running index. */
export interface PackageIndex {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** PEP 503 index URL for pip's `--index-url`. */
  simpleUrl: string;
  /** A lockfileVersion 3 package-lock.json for an app depending on `deps`. */
  packageLock(app: string, deps: NpmSpec[]): string;
  /** Request paths served, in order. */
  requests: string[];
  close(): Promise<void>;
}

interface Served {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

/** Builds the packages in `dir` and serves them on a free loopback port. */
export async function startPackageIndex(opts: {
  dir: string;
  wheels?: WheelSpec[];
  npm?: NpmSpec[];
}): Promise<PackageIndex> {
  const files = new Map<string, Served>();
  const npmMeta = new Map<string, { spec: NpmSpec; integrity: string }>();
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const served = files.get(path) ?? files.get(path.replace(/\/?$/, "/"));
      if (!served) return new Response("not found", { status: 404 });
      return new Response(served.body, {
        headers: { "content-type": served.type },
      });
    },
  );
  const port = server.addr.port;
  const url = `http://127.0.0.1:${port}`;
  const text = (s: string) => new TextEncoder().encode(s);

  for (const wheel of opts.wheels ?? []) {
    const fileName = `${wheel.name}-${wheel.version}-py3-none-any.whl`;
    const body = await buildWheel(opts.dir, wheel, fileName);
    const sha = await hex("SHA-256", body);
    files.set(`/files/${fileName}`, { body, type: "application/zip" });
    files.set(`/simple/${wheel.name}/`, {
      body: text(
        `<!DOCTYPE html><html><body><a href="${url}/files/${fileName}#sha256=${sha}">${fileName}</a></body></html>\n`,
      ),
      type: "text/html",
    });
  }
  for (const pkg of opts.npm ?? []) {
    const body = await buildNpmTarball(opts.dir, pkg);
    const integrity = `sha512-${await base64("SHA-512", body)}`;
    const tarball = `${url}/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`;
    files.set(new URL(tarball).pathname, {
      body,
      type: "application/octet-stream",
    });
    files.set(`/${pkg.name}`, {
      body: text(JSON.stringify({
        name: pkg.name,
        "dist-tags": { latest: pkg.version },
        versions: {
          [pkg.version]: {
            name: pkg.name,
            version: pkg.version,
            dist: { tarball, integrity, shasum: await hex("SHA-1", body) },
          },
        },
      })),
      type: "application/json",
    });
    npmMeta.set(pkg.name, { spec: pkg, integrity });
  }

  return {
    url,
    port,
    simpleUrl: `${url}/simple/`,
    requests,
    packageLock(app, deps) {
      const packages: Record<string, unknown> = {
        "": {
          name: app,
          version: "1.0.0",
          dependencies: Object.fromEntries(
            deps.map((d) => [d.name, d.version]),
          ),
        },
      };
      for (const dep of deps) {
        const meta = npmMeta.get(dep.name);
        if (!meta) throw new Error(`Package '${dep.name}' is not served`);
        packages[`node_modules/${dep.name}`] = {
          version: dep.version,
          resolved: `${url}/${dep.name}/-/${dep.name}-${dep.version}.tgz`,
          integrity: meta.integrity,
        };
      }
      return JSON.stringify(
        {
          name: app,
          version: "1.0.0",
          lockfileVersion: 3,
          requires: true,
          packages,
        },
        null,
        2,
      ) + "\n";
    },
    close: () => server.shutdown(),
  };
}

/** A wheel built with Python's zipfile: the real format pip checks (RECORD hashes included). */
async function buildWheel(
  dir: string,
  wheel: WheelSpec,
  fileName: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = join(dir, fileName);
  const script = `
import base64, hashlib, json, sys, zipfile
spec = json.loads(sys.argv[1]); out = sys.argv[2]
info = f"{spec['name']}-{spec['version']}.dist-info"
files = dict(spec["files"])
files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {spec['name']}\\nVersion: {spec['version']}\\n"
files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: aos-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
record = []
with zipfile.ZipFile(out, "w") as z:
    for path, content in files.items():
        data = content.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;
  await runCommand("python3", ["-c", script, JSON.stringify(wheel), out], {
    cwd: dir,
  });
  return await Deno.readFile(out);
}

/** An npm tarball (`package/` prefix, gzip) made with tar. */
async function buildNpmTarball(
  dir: string,
  pkg: NpmSpec,
): Promise<Uint8Array<ArrayBuffer>> {
  const root = join(dir, `npm-${pkg.name}-${pkg.version}`);
  const files: Record<string, string> = {
    "package.json": JSON.stringify({
      name: pkg.name,
      version: pkg.version,
      main: "index.js",
    }),
    ...pkg.files,
  };
  await writeFiles(join(root, "package"), files);
  const out = `${root}.tgz`;
  await runCommand("tar", ["-czf", out, "-C", root, "package"], { cwd: dir });
  return await Deno.readFile(out);
}

async function digest(algorithm: string, body: Uint8Array) {
  return new Uint8Array(
    await crypto.subtle.digest(algorithm, body as Uint8Array<ArrayBuffer>),
  );
}

async function hex(algorithm: string, body: Uint8Array): Promise<string> {
  return Array.from(
    await digest(algorithm, body),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

async function base64(algorithm: string, body: Uint8Array): Promise<string> {
  return btoa(String.fromCharCode(...await digest(algorithm, body)));
}
