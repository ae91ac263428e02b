#!/usr/bin/env bash
# Installs what AOS needs on a fresh Debian machine with Node: git, bubblewrap,
# python3 (used by the examples and tests), curl, apache2 + openssl (the tests'
# git smart-HTTP server), chromium (the dashboard's browser tests) and
# postgresql (the Postgres KV tests) from apt, and Deno 2.9.6
# from npm. Idempotent: installs only what is missing or at the wrong version.
set -euo pipefail
DENO_VERSION=2.9.6

say() { echo "install_deps: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=()
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing; run as root or install sudo"
  SUDO=(sudo)
fi

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The tests' smart-HTTP git server (Apache + git http-backend) and its throwaway CA.
[ -x /usr/sbin/apache2 ] || missing+=(apache2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# PostgreSQL for the Postgres KV backend's tests (scripts/pg_cluster.sh runs its own cluster).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Setup commands in the tests build real venvs (Debian splits venv/ensurepip off python3).
venv_probe="$(mktemp -d)"
python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
# The dashboard's browser tests drive Debian's Chromium (puppeteer-core, no bundled browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and apt-get is not available; install them with your package manager"
  say "apt-get install ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Captured first: piping into `grep -q` under pipefail can fail on SIGPIPE.
current="$(deno --version 2>/dev/null | head -n 1 || true)"
if [[ "$current" != "deno ${DENO_VERSION} "* ]]; then
  command -v npm >/dev/null 2>&1 || die "npm is missing; install Node.js, or Deno ${DENO_VERSION} by hand"
  say "npm install -g deno@${DENO_VERSION} (found: ${current:-none})"
  "${SUDO[@]}" npm install -g "deno@${DENO_VERSION}" >/dev/null
  hash -r
  command -v deno >/dev/null 2>&1 ||
    die "deno installed but not on PATH; add \"$(npm prefix -g)/bin\" to PATH"
fi

# The sandbox needs unprivileged user namespaces; say so now rather than at the first run.
if ! bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent true 2>/dev/null; then
  say "warning: bwrap is installed but cannot create a sandbox here (user namespaces disabled?);"
  say "         enable them, or run the service with AOS_SANDBOX=none (no isolation)"
fi
deno --version | head -n 1 >&2
