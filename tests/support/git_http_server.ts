/**
 * A real smart-HTTP git server for tests: Apache (Debian `apache2`) running
 * `git http-backend` as CGI, in the foreground with its own config in a temp
 * dir, on loopback ports, over http and https (a throwaway CA made with
 * openssl). Basic auth: every repository is private; `reader` may fetch,
 * only `writer` may push (Apache answers 403 to an authenticated reader's push,
 * as GitHub and GitLab do).
 *
 * Host name: `git.localhost` — curl (and so git) resolves `*.localhost` to
 * loopback itself (RFC 6761), so no /etc/hosts edit is needed and the name is
 * not a GitHub one.
 */
import { join } from "node:path";
import type { RepoAddressPolicy } from "../../lib/git/mod.ts";
import { runCommand, writeFiles } from "../../lib/workspace/testing.ts";

/** The host name tests use for the server. */
export const GIT_HOST = "git.localhost";

/**
 * The server is on loopback, which the repository address guard refuses:
 * tests opt in the documented way, naming the host in the allow-list
 * (AOS_REPO_ALLOWLIST for a service).
 */
export const TRUST_GIT_HOST: RepoAddressPolicy = {
  allowPrivate: false,
  allowlist: [`https://${GIT_HOST}/`],
};

/** A running server. */
export interface GitHttpServer {
  /** `http://git.localhost:PORT` */
  httpOrigin: string;
  /** `https://git.localhost:PORT` */
  httpsOrigin: string;
  /** `git.localhost:PORT` of each scheme, the AOS_GIT_CREDENTIALS keys. */
  httpHost: string;
  httpsHost: string;
  /** PEM of the CA that signed the server certificate (for GIT_SSL_CAINFO). */
  caFile: string;
  /** Directory of the bare repositories (`<name>.git`). */
  reposDir: string;
  /** URL path of repository `name`: `/git/<name>.git`. */
  path(name: string): string;
  /** Lines of Apache's access log so far (`user method uri status`). */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Passwords of the two accounts. */
export interface GitUsers {
  reader: string;
  writer: string;
}

const MODULES = "/usr/lib/apache2/modules";

function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return runCommand(cmd, args, cwd ? { cwd } : {});
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function sha1Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(text),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

async function makeCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=AOS test CA",
  ], dir);
  await run("openssl", [
    "req",
    ...ec,
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    `/CN=${GIT_HOST}`,
  ], dir);
  await Deno.writeTextFile(
    join(dir, "ext.cnf"),
    `subjectAltName=DNS:${GIT_HOST},IP:127.0.0.1\n`,
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ], dir);
}

/** Creates bare repository `name` in the server, seeded with `files` on `main`. */
export async function addRepo(
  server: GitHttpServer,
  name: string,
  files: Record<string, string>,
): Promise<void> {
  const env = {
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Seed",
    GIT_AUTHOR_EMAIL: "seed@example.com",
    GIT_COMMITTER_NAME: "Seed",
    GIT_COMMITTER_EMAIL: "seed@example.com",
  };
  const git = (cwd: string, ...args: string[]) =>
    runCommand("git", args, { cwd, env });
  const bare = join(server.reposDir, `${name}.git`);
  const seed = await Deno.makeTempDir({ prefix: "aos_git_seed_" });
  try {
    await git(server.reposDir, "init", "--bare", "-q", "-b", "main", bare);
    await git(seed, "init", "-q", "-b", "main");
    await writeFiles(seed, files);
    await git(seed, "add", "-A");
    await git(seed, "commit", "-q", "-m", "seed");
    await git(seed, "push", "-q", bare, "main");
    // Apache's CGI children run as an unprivileged user when the tests run as root.
    await run("chmod", ["-R", "a+rwX", bare]);
  } finally {
    await Deno.remove(seed, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes git trust `caFile`: appended to one CA bundle per test process, which
 * GIT_SSL_CAINFO names. Test files running in parallel share the process's
 * environment, so the variable is set once to a file that only grows — never
 * pointed at one server's CA and then restored under another test's feet.
 */
async function trustCa(caFile: string): Promise<void> {
  const bundle = join(
    Deno.env.get("TMPDIR") ?? "/tmp",
    `aos_test_git_ca_${Deno.pid}.pem`,
  );
  await Deno.writeTextFile(bundle, await Deno.readTextFile(caFile), {
    append: true,
  });
  Deno.env.set("GIT_SSL_CAINFO", bundle);
}

/**
 * Starts Apache with git http-backend (its CA trusted by git in this process
 * from then on); stop() ends it and removes its files.
 */
export async function startGitHttpServer(
  users: GitUsers,
): Promise<GitHttpServer> {
  const dir = await Deno.makeTempDir({ prefix: "aos_git_http_" });
  await Deno.chmod(dir, 0o755);
  const reposDir = join(dir, "repos");
  await Deno.mkdir(reposDir);
  await Deno.chmod(reposDir, 0o777);
  await makeCertificates(dir);
  await trustCa(join(dir, "ca.pem"));
  await Deno.writeTextFile(
    join(dir, "htpasswd"),
    `reader:{SHA}${await sha1Base64(users.reader)}\n` +
      `writer:{SHA}${await sha1Base64(users.writer)}\n`,
  );
  const root = Deno.uid() === 0;
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const httpPort = freePort();
    const httpsPort = freePort();
    const conf = join(dir, "httpd.conf");
    await Deno.writeTextFile(
      conf,
      config({ dir, reposDir, httpPort, httpsPort, root }),
    );
    const child = new Deno.Command("/usr/sbin/apache2", {
      args: ["-f", conf, "-DFOREGROUND"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const up = await waitUntilListening(httpPort, httpsPort, child);
    if (up !== null) {
      lastError = up;
      continue;
    }
    const server: GitHttpServer = {
      httpOrigin: `http://${GIT_HOST}:${httpPort}`,
      httpsOrigin: `https://${GIT_HOST}:${httpsPort}`,
      httpHost: `${GIT_HOST}:${httpPort}`,
      httpsHost: `${GIT_HOST}:${httpsPort}`,
      caFile: join(dir, "ca.pem"),
      reposDir,
      path: (name) => `/git/${name}.git`,
      async accessLog() {
        const text = await Deno.readTextFile(join(dir, "access.log")).catch(
          () => "",
        );
        return text.split("\n").filter(Boolean);
      },
      async stop() {
        try {
          child.kill("SIGTERM");
        } catch { /* exited */ }
        await child.status;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
    return server;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`Apache did not start: ${lastError}`);
}

/** null once both ports accept connections; the failure text if Apache exits. */
async function waitUntilListening(
  httpPort: number,
  httpsPort: number,
  child: Deno.ChildProcess,
): Promise<string | null> {
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const errText = new Response(child.stderr).text();
  // Drained so Apache never blocks on a full pipe.
  new Response(child.stdout).text().catch(() => {});
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited) {
    try {
      for (const port of [httpPort, httpsPort]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
      }
      return null;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!exited) {
    child.kill("SIGKILL");
  }
  await status;
  return await errText;
}

function config(o: {
  dir: string;
  reposDir: string;
  httpPort: number;
  httpsPort: number;
  root: boolean;
}): string {
  const load = (name: string, file: string) =>
    `LoadModule ${name}_module ${MODULES}/mod_${file}.so`;
  return `
ServerRoot "${o.dir}"
ServerName git.localhost
${load("mpm_event", "mpm_event")}
${load("authn_core", "authn_core")}
${load("authn_file", "authn_file")}
${load("auth_basic", "auth_basic")}
${load("authz_core", "authz_core")}
${load("authz_user", "authz_user")}
${load("alias", "alias")}
${load("cgid", "cgid")}
${load("env", "env")}
${load("ssl", "ssl")}
${load("socache_shmcb", "socache_shmcb")}
${o.root ? "User nobody\nGroup nogroup" : ""}
PidFile "${o.dir}/httpd.pid"
DefaultRuntimeDir "${o.dir}"
ScriptSock "${o.dir}/cgid.sock"
Mutex file:${o.dir}
ErrorLog "${o.dir}/error.log"
LogLevel warn
LogFormat "%u %m %U%q %>s" git
CustomLog "${o.dir}/access.log" git
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
SSLSessionCache none
Listen 127.0.0.1:${o.httpPort}
Listen 127.0.0.1:${o.httpsPort}
SetEnv GIT_PROJECT_ROOT "${o.reposDir}"
SetEnv GIT_HTTP_EXPORT_ALL 1
SetEnv GIT_CONFIG_COUNT 1
SetEnv GIT_CONFIG_KEY_0 safe.directory
SetEnv GIT_CONFIG_VALUE_0 *
ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
<Location /git/>
  AuthType Basic
  AuthName "private git"
  AuthBasicProvider file
  AuthUserFile "${o.dir}/htpasswd"
  AuthzSendForbiddenOnFailure On
  <If "%{QUERY_STRING} =~ /service=git-receive-pack/ || %{REQUEST_URI} =~ m#/git-receive-pack$#">
    Require user writer
  </If>
  <Else>
    Require valid-user
  </Else>
</Location>
<VirtualHost 127.0.0.1:${o.httpsPort}>
  SSLEngine on
  SSLCertificateFile "${o.dir}/server.pem"
  SSLCertificateKeyFile "${o.dir}/server.key"
</VirtualHost>
`;
}
