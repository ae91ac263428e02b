#!/usr/bin/env bash
# Installs what the AOS service itself needs on a fresh Debian machine with
# Node: git, bubblewrap (the sandbox) and passt (pasta: setup commands' own
# network, not the host's loopback) from apt — plus util-linux's
# `unshare` for cached environments and python3 for the offline demo's
# acceptance commands, both usually present — and Deno 2.9.6 from npm.
# The test tools (Chromium, PostgreSQL, Apache, …) are in
# scripts/install_test_deps.sh. Idempotent: installs only what is missing or
# at the wrong version.
set -euo pipefail
DENO_VERSION=2.9.6
AOS_INSTALL_NAME=install_deps
# shellcheck source=scripts/apt_missing.sh
. "$(dirname "$0")/apt_missing.sh"

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v pasta >/dev/null 2>&1 || missing+=(passt)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
apt_install_missing "${missing[@]}"

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
if ! bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --unshare-user --uid 1000 --gid 1000 \
  --cap-drop ALL --disable-userns --die-with-parent true 2>/dev/null; then
  say "warning: bwrap is installed but cannot create a sandbox here (user namespaces disabled?);"
  say "         enable them, or run the service with AOS_SANDBOX=none (no isolation)"
fi
deno --version | head -n 1 >&2
